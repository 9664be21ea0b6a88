"""A source file's bytes as UTF-8 text in memory: the encoding, the line endings and the
errors about them.

Why apart from reading the rows (`polku.ingest.read`): what a file's bytes mean as text is
decided once for the whole file, before any row is parsed, and the same rules serve CSV and
the header line's errors. The file is never held whole: one pass over its blocks (`Survey`)
gathers what the decisions need (its SHA-256 too), and the rows are then read part by part,
each part transcoded and its line ends made uniform in memory (`TextForm.utf8`). A
transcoded copy exists only in memory: it holds every identity code.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from polku.errors import Location, ValidationFailed

SINGLE_BYTE = ("latin-1", "windows-1252")
UTF8_BOM = b"\xef\xbb\xbf"
CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
"""The bytes Windows-1252 leaves undefined (Python's codec refuses them); Latin-1 reads them."""
_INVISIBLE = b" \t\n\r\x0b\x0c" + bytes(range(128, 256))
"""ASCII white space and every non-ASCII byte: a file of nothing else may decode to blank text."""


def content_error(
    path: Path, what: str, why: str, fix: str, line: int | None = None, column: str | None = None
) -> ValidationFailed:
    return ValidationFailed(what, where=Location(str(path), line, column), why=why, fix=fix)


class Survey:
    """What a file's bytes are as a whole, gathered block by block in one pass.

    The encoding ('auto' takes UTF-8 only when every byte of the file is valid UTF-8), the
    line endings (a file mixing CRLF and LF), the empty-file check and the SHA-256 (an
    unchanged file writes nothing) are decisions about the whole file, made before any row
    is loaded. Gathering them from blocks keeps one block in memory, not the file.
    """

    def __init__(self) -> None:
        self._sha256 = hashlib.sha256()
        self.size = 0
        self._start = b""  # the file's first bytes, for its byte-order mark
        self.bom = False
        self.ascii = True
        self.blank = True  # nothing but ASCII white space (or no byte at all)
        self.visible = False  # some ASCII byte that is not white space
        self.cp1252 = True  # no byte that Windows-1252 leaves undefined
        self.carriage_returns = self.crlf = self.newlines = 0
        self.ends_with_cr = False
        self.utf8_error: tuple[int, int, int] | None = None  # (offset, byte, line) of the first invalid UTF-8
        self._utf8 = codecs.getincrementaldecoder("utf-8")()

    def hash(self, block: bytes) -> None:
        """Add the block to the SHA-256 (apart from `add`, so it can run in a thread beside it)."""
        self._sha256.update(block)

    def add(self, block: bytes) -> None:
        """Account for the next block of the file (all but its SHA-256: `hash`)."""
        if not block:
            return
        if self.size < len(UTF8_BOM):
            self._start = (self._start + block)[: len(UTF8_BOM)]
            self.bom = self._start == UTF8_BOM
        plain = block.isascii()
        self.ascii &= plain
        self.blank &= block.isspace()
        self.visible = self.visible or bool(block.translate(None, _INVISIBLE))
        if not plain:
            self.cp1252 = self.cp1252 and not any(b in block for b in CP1252_UNDEFINED)
        if self.utf8_error is None and not (plain and not self._utf8.getstate()[0]):
            self._check_utf8(block)
        if b"\r" in block:  # a byte search; counting costs ten times more
            self.carriage_returns += block.count(b"\r")
            self.crlf += block.count(b"\r\n")
        self.crlf += self.ends_with_cr and block.startswith(b"\n")
        self.newlines += block.count(b"\n")
        self.ends_with_cr = block.endswith(b"\r")
        self.size += len(block)

    def _check_utf8(self, block: bytes) -> None:
        """Decode the block incrementally; note the first invalid byte with its offset and line."""
        pending = self._utf8.getstate()[0]
        try:
            self._utf8.decode(block)
        except UnicodeDecodeError as error:
            data = pending + block
            line = self.newlines + data[len(pending) : max(error.start, len(pending))].count(b"\n") + 1
            self.utf8_error = (self.size - len(pending) + error.start, data[error.start], line)

    def finish(self) -> Survey:
        """Close the pass: a UTF-8 sequence cut off by the file's end is invalid too."""
        if self.utf8_error is None:
            pending = self._utf8.getstate()[0]
            try:
                self._utf8.decode(b"", final=True)
            except UnicodeDecodeError as error:
                self.utf8_error = (self.size - len(pending) + error.start, pending[error.start], self.newlines + 1)
        return self

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()


def survey(blocks: Iterable[bytes]) -> Survey:
    """The survey of a file given as its blocks, in order. The SHA-256 of each block is
    computed in a thread beside its other checks (hashlib releases the GIL)."""
    found = Survey()
    with ThreadPoolExecutor(1) as hashing:
        for block in blocks:
            hashed = hashing.submit(found.hash, block)
            found.add(block)
            hashed.result()
    return found.finish()


def file_blocks(path: Path, size: int) -> Iterable[bytes]:
    """The file's bytes, `size` at a time."""
    with path.open("rb") as file:
        while block := file.read(size):
            yield block


def looks_like_utf8(found: Survey) -> bool:
    """A BOM, or non-ASCII bytes that form valid UTF-8: real Latin-1 text almost never does
    (ä is one byte 0xE4 there, which UTF-8 cannot read on its own)."""
    return found.bom or (not found.ascii and found.utf8_error is None)


def _candidates(encoding: str) -> list[str]:
    """Decoders to try. The label latin-1 is read as Windows-1252, as the WHATWG Encoding
    Standard does: their printable characters agree, and the bytes 0x80-0x9F that differ are
    control characters in Latin-1 that real text never holds (€, – and ” in Windows-1252)."""
    if encoding == "auto":
        return ["utf-8", "windows-1252", "latin-1"]
    return ["windows-1252", "latin-1"] if encoding in SINGLE_BYTE else [encoding]


def chosen_encoding(found: Survey, path: Path, encoding: str) -> str:
    """The encoding the file is read in. 'auto' takes UTF-8 when the bytes are valid, else
    Windows-1252 (else Latin-1, which reads any byte)."""
    if encoding in SINGLE_BYTE and looks_like_utf8(found):
        raise content_error(
            path,
            f"the file looks like UTF-8, but the mapping says {encoding}",
            "reading UTF-8 as a single-byte encoding would store every ä, ö and å as two wrong characters.",
            "set `file: {encoding: auto}` (or utf-8) in the mapping.",
        )
    readable = {"utf-8": found.utf8_error is None, "windows-1252": found.cp1252, "latin-1": True}
    for name in _candidates(encoding):
        if readable[name]:
            return name
    offset, byte, line = found.utf8_error or (0, 0, 1)
    raise content_error(
        path,
        f"the file is not readable as {encoding}",
        f"the byte 0x{byte:02X} at offset {offset} cannot be decoded, so text values would be corrupted.",
        "save the file as UTF-8, or set `file: {encoding: auto}` (or latin-1, windows-1252) in the mapping.",
        line=line,
    )


def decode(data: bytes, path: Path, encoding: str) -> tuple[str, str]:
    """(text, encoding used) of bytes held whole, by the same rules as a file read in parts."""
    name = chosen_encoding(survey([data]), path, encoding)
    return data.decode("utf-8-sig" if name == "utf-8" else name), name


@dataclass(frozen=True)
class TextForm:
    """How each part of a file becomes UTF-8 text with LF line ends, decided for the whole file."""

    encoding: str | None  # the single-byte encoding to transcode from; None: the bytes are UTF-8 already
    endings: str  # 'as is', 'crlf' (CRLF and LF mixed: CRLF becomes LF) or 'cr' (CR ends lines)

    def utf8(self, data: bytes) -> bytes:
        """A part's bytes (whole lines, no CRLF cut in two) as UTF-8 with uniform line ends,
        in memory (never written to disk: the file holds identity codes)."""
        if self.encoding is not None:
            data = data.decode(self.encoding).encode("utf-8")
        if self.endings == "cr":
            return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        return data.replace(b"\r\n", b"\n") if self.endings == "crlf" else data

    def line_end(self, data: bytes) -> int:
        """Offset just past the last line end of `data` after which it can be cut (0: none):
        a CR that may be followed by LF in the next block is not such a place."""
        end = data.rfind(b"\n")
        if self.endings == "cr":
            end = max(end, data.rfind(b"\r", 0, len(data) - 1))
        return end + 1


def text_form(found: Survey, path: Path, encoding: str, blocks: Callable[[], Iterable[bytes]]) -> TextForm:
    """How the surveyed file is read as text; errors for an unreadable or empty one.

    ASCII bytes read the same in every supported encoding, so they are not decoded (0.07 s
    per 80 MB). A file with no visible ASCII byte is decoded once more (`blocks` reads it
    again) to see whether its text is white space only: then it has no header.
    """
    if found.ascii:
        return TextForm(None, _line_endings(found))
    chosen = chosen_encoding(found, path, encoding)
    if not found.visible and _blank_text(blocks(), chosen):
        raise content_error(
            path, "the file is empty", "there is no header row and no data.", "export the file again with a header row.", line=1
        )
    return TextForm(None if chosen == "utf-8" else chosen, _line_endings(found))


def _blank_text(blocks: Iterable[bytes], encoding: str) -> bool:
    """True when the decoded text is empty or white space only."""
    decoder = codecs.getincrementaldecoder("utf-8-sig" if encoding == "utf-8" else encoding)()
    return not any(decoder.decode(block).strip() for block in blocks)


def _line_endings(found: Survey) -> str:
    """LF line endings, in memory, when the lines could not be counted as they are.

    A file that mixes CRLF and LF lines (files joined from two exports) gets LF
    throughout, so that a CR is either part of every line end or of none; a file
    with more lone CRs than LFs (old Mac exports) has each CR read as a line end.
    Otherwise line numbers count LF, so they do not change. A CR alone inside a line of
    an LF or CRLF file is left as it is: the record scan sets that line apart
    (`stray_carriage_return`)."""
    if not found.carriage_returns:
        return "as is"
    if found.carriage_returns - found.crlf > found.newlines:  # more lone CRs than LFs: CR ends lines
        return "cr"
    return "as is" if found.crlf == found.newlines else "crlf"


def line_count_if_simple(data: bytes, header: bool = True) -> int | None:
    """Lines after the header (all lines of a part without the header) of text without
    quotes, NUL bytes or stray carriage returns, else None (then every record is scanned).

    This is a claim that each line is one row; `read_csv` keeps it only when the parser
    returns exactly that many rows. An empty line or a malformed row makes it return
    fewer, and then the careful record scan numbers the lines. Counting by byte search
    costs 0.04 s for 80 MB.
    """
    if b'"' in data or b"\0" in data or has_lone_carriage_return(data):
        return None
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1) - header


def has_lone_carriage_return(data: bytes) -> bool:
    return b"\r" in data and data.count(b"\r") != data.count(b"\r\n") + data.endswith(b"\r")
