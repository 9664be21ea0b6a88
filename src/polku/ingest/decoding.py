"""A source file's bytes as UTF-8 text in memory: the encoding, the line endings and the
errors about them.

Why apart from reading the rows (`polku.ingest.read`): what a file's bytes mean as text is
decided once, before any row is parsed, and the same rules serve CSV and the header line's
errors. A transcoded copy exists only in memory: it holds every identity code.
"""

from __future__ import annotations

from pathlib import Path

from polku.errors import Location, ValidationFailed


def content_error(
    path: Path, what: str, why: str, fix: str, line: int | None = None, column: str | None = None
) -> ValidationFailed:
    return ValidationFailed(what, where=Location(str(path), line, column), why=why, fix=fix)


def line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


SINGLE_BYTE = ("latin-1", "windows-1252")
UTF8_BOM = b"\xef\xbb\xbf"


def looks_like_utf8(data: bytes) -> bool:
    """A BOM, or non-ASCII bytes that form valid UTF-8: real Latin-1 text almost never does
    (ä is one byte 0xE4 there, which UTF-8 cannot read on its own)."""
    if data.startswith(UTF8_BOM):
        return True
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _candidates(encoding: str) -> list[str]:
    """Decoders to try. The label latin-1 is read as Windows-1252, as the WHATWG Encoding
    Standard does: their printable characters agree, and the bytes 0x80-0x9F that differ are
    control characters in Latin-1 that real text never holds (€, – and ” in Windows-1252)."""
    if encoding == "auto":
        return ["utf-8", "windows-1252", "latin-1"]
    return ["windows-1252", "latin-1"] if encoding in SINGLE_BYTE else [encoding]


def decode(data: bytes, path: Path, encoding: str) -> tuple[str, str]:
    """(text, encoding used). 'auto' takes UTF-8 when the bytes are valid, else Windows-1252."""
    if encoding in SINGLE_BYTE and looks_like_utf8(data):
        raise content_error(
            path,
            f"the file looks like UTF-8, but the mapping says {encoding}",
            "reading UTF-8 as a single-byte encoding would store every ä, ö and å as two wrong characters.",
            "set `file: {encoding: auto}` (or utf-8) in the mapping.",
        )
    for name in _candidates(encoding):
        try:
            return data.decode("utf-8-sig" if name == "utf-8" else name), name
        except UnicodeDecodeError as error:
            failure = error
    raise content_error(
        path,
        f"the file is not readable as {encoding}",
        f"the byte 0x{data[failure.start]:02X} at offset {failure.start} cannot be decoded, so text values would be corrupted.",
        "save the file as UTF-8, or set `file: {encoding: auto}` (or latin-1, windows-1252) in the mapping.",
        line=line_of(data, failure.start),
    )


def line_count_if_simple(data: bytes) -> int | None:
    """Lines after the header of a file without quotes, NUL bytes or stray carriage
    returns, else None (then every record is scanned).

    This is a claim that each line is one row; `read_csv` keeps it only when the parser
    returns exactly that many rows. An empty line or a malformed row makes it return
    fewer, and then the careful record scan numbers the lines. Counting by byte search
    costs 0.04 s for 80 MB.
    """
    if b'"' in data or b"\0" in data or has_lone_carriage_return(data):
        return None
    return data.count(b"\n") - (1 if data.endswith(b"\n") else 0)


def has_lone_carriage_return(data: bytes) -> bool:
    return b"\r" in data and data.count(b"\r") != data.count(b"\r\n") + data.endswith(b"\r")


def as_utf8(data: bytes, path: Path, encoding: str) -> bytes:
    """The bytes as UTF-8, transcoded in memory (never written to disk: the file holds
    identity codes). ASCII bytes read the same in every supported encoding, so they skip
    decoding (0.07 s per 80 MB)."""
    if data.isascii():
        return data
    text, used = decode(data, path, encoding)
    if not text or text.isspace():
        raise content_error(
            path, "the file is empty", "there is no header row and no data.", "export the file again with a header row.", line=1
        )
    return data if used == "utf-8" else text.encode("utf-8")


def uniform_line_endings(utf8: bytes) -> bytes:
    """LF line endings, in memory, when the lines could not be counted as they are.

    A file that mixes CRLF and LF lines (files joined from two exports) gets LF
    throughout, so that a CR is either part of every line end or of none; a file
    with more lone CRs than LFs (old Mac exports) has each CR read as a line end.
    Otherwise line numbers count LF, so they do not change. A CR alone inside a line of
    an LF or CRLF file is left as it is: the record scan sets that line apart
    (`stray_carriage_return`)."""
    if b"\r" not in utf8:
        return utf8
    crlf, lf = utf8.count(b"\r\n"), utf8.count(b"\n")
    if utf8.count(b"\r") - crlf > lf:  # more lone CRs than LFs: CR ends lines
        return utf8.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return utf8 if crlf == lf else utf8.replace(b"\r\n", b"\n")
