"""Where each CSV record starts, counted in physical lines, found without a Python loop per record.

A CSV parser reads fast but does not say which line a row came from, and a quoted field may
hold newlines, so "row number + 1" is wrong as soon as one field spans lines. This module
finds record boundaries the way an RFC 4180 reader does: a newline ends a record only when
an even number of quote characters precede it (a doubled quote `""` adds two and keeps the
parity). It also counts the delimiters outside quotes in each record, so rows with too few
or too many fields are known before the parser reads them. All of it is numpy over the bytes.

A stray quote must not swallow the lines after it. A quote is well placed only where RFC
4180 allows it: an opening quote at the start of a field, a closing quote before a
delimiter, a line end, the file's end or a doubled quote. A record with a misplaced quote,
an unclosed quote, or a quoted line break but the wrong number of fields or a line inside
that is a plain record of its own (no quote, the header's width) is *unbalanced*:
only its first physical line is set apart, and reading goes on at the next line with the
quote parity that line really has. This scan is the importer's count of the file's records,
independent of the parser that splits the fields.

The bytes must be ASCII-compatible (UTF-8, Latin-1, Windows-1252): newline, quote and
delimiter are then single bytes that never occur inside a multi-byte character.

A file is read in parts, so the scan also says where a part may end (`settled_end`): a
window of whole lines is scanned as if the file went on after it, and every record the
walk settles before the first record that reaches the window's end is exactly the record
the whole file's scan finds there. Nothing in the walk looks back before a record's start,
and the quote parity at a record's start is the phase the walk reads it in, so the next
window starts there in phase 0 and the parts' records join to the file's.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np

NEWLINE = 10
CARRIAGE_RETURN = 13
QUOTE = 34
NUL = 0


@dataclass(frozen=True)
class Records:
    """Records of a CSV file: header first; empty lines are not records (parsers skip them)."""

    lines: np.ndarray  # physical line where each record starts (1 = first line)
    fields: np.ndarray  # number of fields in each record
    starts: np.ndarray  # byte offset of each record
    ends: np.ndarray  # byte offset just past each record (before its newline)
    unbalanced: np.ndarray  # the record is the first line of a record with a stray quote

    def __len__(self) -> int:
        return len(self.lines)


class _Bytes:
    """Positions of the bytes that structure a CSV file, found once."""

    def __init__(self, data: bytes, delimiter: str) -> None:
        self.buf = np.frombuffer(data, dtype=np.uint8)
        self.quotes = np.flatnonzero(self.buf == QUOTE)
        self.newlines = np.flatnonzero(self.buf == NEWLINE)
        self.delimiters = np.flatnonzero(self.buf == ord(delimiter))
        self.delimiter = ord(delimiter)

    @cached_property
    def newline_parity(self) -> np.ndarray:
        return np.searchsorted(self.quotes, self.newlines) % 2

    @cached_property
    def line_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """(quotes, delimiters) on each physical line."""
        count = len(self.newlines) + 1
        quotes = np.bincount(np.searchsorted(self.newlines, self.quotes), minlength=count)
        return quotes, np.bincount(np.searchsorted(self.newlines, self.delimiters), minlength=count)

    def plain_lines(self, expected: int) -> np.ndarray:
        """Mask of the physical lines that would be a record of `expected` fields on their
        own: no quote and exactly `expected - 1` delimiters."""
        quotes, delimiters = self.line_counts
        return (quotes == 0) & (delimiters == expected - 1)

    def parity(self, positions: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.quotes, positions) % 2

    def misplaced_quotes(self, phase: int) -> np.ndarray:
        """Positions of quotes that RFC 4180 does not allow, when quote number k (0-based
        in the file) opens a value if k % 2 == phase and closes it otherwise."""
        quotes, buf = self.quotes, self.buf
        opening = np.arange(len(quotes)) % 2 == phase
        before = np.where(quotes > 0, buf[np.maximum(quotes - 1, 0)], NEWLINE)
        after = np.where(quotes < len(buf) - 1, buf[np.minimum(quotes + 1, len(buf) - 1)], NEWLINE)
        opens_well = (before == self.delimiter) | (before == NEWLINE) | (before == QUOTE)
        closes_well = (after == self.delimiter) | (after == NEWLINE) | (after == CARRIAGE_RETURN) | (after == QUOTE)
        return quotes[np.where(opening, ~opens_well, ~closes_well)]


@dataclass(frozen=True)
class _Phase:
    """The records the file splits into when the quote parity at their starts is `phase`."""

    starts: np.ndarray
    ends: np.ndarray
    fields: np.ndarray
    broken: np.ndarray  # misplaced or unclosed quote
    first_break: np.ndarray  # offset of the first line break inside the record, -1 if none
    breaks: np.ndarray  # offsets of the line breaks inside records


def _owner(starts: np.ndarray, positions: np.ndarray) -> np.ndarray:
    return np.searchsorted(starts, positions, side="right") - 1


def _phase(scan: _Bytes, phase: int, final: bool) -> _Phase:
    inside = scan.newline_parity != phase
    terminators = scan.newlines[~inside]
    starts = np.concatenate(([0], terminators + 1))
    ends = np.concatenate((terminators, [len(scan.buf)]))
    delimiters = scan.delimiters[scan.parity(scan.delimiters) == phase]
    fields = np.bincount(_owner(starts, delimiters), minlength=len(starts))[: len(starts)] + 1
    broken = np.zeros(len(starts), dtype=bool)
    broken[_owner(starts, scan.misplaced_quotes(phase))] = True
    if final:
        broken[-1] |= len(scan.quotes) % 2 != phase  # the last record's quote never closes
    first_break = np.full(len(starts), -1, dtype=np.int64)
    breaks = scan.newlines[inside]
    owners, first = np.unique(_owner(starts, breaks), return_index=True)
    first_break[owners] = breaks[first]
    return _Phase(starts, ends, fields, broken, first_break, breaks)


def _swallowing(scan: _Bytes, part: _Phase, expected: int) -> np.ndarray:
    """Mask of the records with a line inside them that is a plain record on its own."""
    swallows = np.zeros(len(part.starts), dtype=bool)
    if len(part.breaks) and expected > 1:
        after = np.searchsorted(scan.newlines, part.breaks) + 1  # the line after each inner break
        swallows[_owner(part.starts, part.breaks[scan.plain_lines(expected)[after]])] = True
    return swallows


class _Walk(NamedTuple):
    runs: list[tuple[_Phase, int, int]]  # good records: (phase, first, past-last)
    unbalanced: list[tuple[int, int]]  # lines set apart: (start, end)
    settled: int  # offset up to which the records are those of the whole file


def _walk(scan: _Bytes, expected: int | None, final: bool) -> _Walk:
    """Runs of good records and the unbalanced lines, up to where they are settled.

    Reading stays in one phase until an unbalanced record; then its first line is set apart
    and reading resumes after that line in the phase it has. One step per stray quote.
    `expected` is the header's field count (None: the first non-empty record is the header).
    Not `final`: the window ends with a line end and the file may go on; the walk stops at
    the first record reaching the window's end unless that record is unbalanced whatever
    follows (`_unbalanced_records`)."""
    phases = {0: _phase(scan, 0, final)}
    if expected is None:
        expected = int(phases[0].fields[np.argmax(phases[0].ends > phases[0].starts)])  # the header: first non-empty record
    runs: list[tuple[_Phase, int, int]] = []
    unbalanced: list[tuple[int, int]] = []
    part, index = phases[0], 0
    bad = _unbalanced_records(scan, part, expected, final)
    while True:
        stop = bad[np.searchsorted(bad, index)] if np.searchsorted(bad, index) < len(bad) else len(part.starts)
        last = len(part.starts) - 1
        if not final and stop > last:  # the last record may go on past the window
            runs.append((part, index, last))
            return _Walk(runs, unbalanced, int(part.starts[last]))
        runs.append((part, index, int(stop)))
        if stop == len(part.starts):
            return _Walk(runs, unbalanced, len(scan.buf))
        line_end = int(part.first_break[stop])
        if line_end < 0:  # a single line: set it apart, the parity after it is unchanged
            unbalanced.append((int(part.starts[stop]), int(part.ends[stop])))
            index = int(stop) + 1
            continue
        unbalanced.append((int(part.starts[stop]), line_end))
        phase = int(scan.newline_parity[np.searchsorted(scan.newlines, line_end)])
        if phase not in phases:
            phases[phase] = _phase(scan, phase, final)
        part, index = phases[phase], int(np.searchsorted(phases[phase].starts, line_end + 1))
        bad = _unbalanced_records(scan, part, expected, final)


def _unbalanced_records(scan: _Bytes, part: _Phase, expected: int, final: bool) -> np.ndarray:
    """Indexes of records with a stray quote: misplaced or unclosed, or a quoted line break
    in a record of the wrong width (a real multi-line value keeps the header's width), or
    a quoted line break followed by a line that is a plain record of its own (a value
    spanning lines does not hold a whole row: more likely two stray quotes joined rows).

    Not `final`, the last record may go on past the window: it counts as unbalanced only
    for what more bytes cannot undo (a misplaced quote, a swallowed record, already too
    many fields); an unclosed quote or too few fields may yet be right."""
    wrong = part.fields != expected
    if not final:
        wrong[-1] = part.fields[-1] > expected
    return np.flatnonzero(part.broken | _swallowing(scan, part, expected) | ((part.first_break >= 0) & wrong))


def _not_empty(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Records with content: not zero bytes and not a lone carriage return."""
    length = ends - starts
    lone_cr = (length == 1) & (buf[np.minimum(starts, len(buf) - 1)] == CARRIAGE_RETURN)
    return (length > 0) & ~lone_cr


def scan_records(data: bytes, delimiter: str, expected: int | None = None) -> Records:
    """Start line, field count and byte span of every record in `data`; unbalanced lines
    are records of their own, flagged in `unbalanced` (the header's width is the norm:
    `expected` fields, or those of the first record, the header, when None)."""
    scan = _Bytes(data, delimiter)
    runs, unbalanced, _ = _walk(scan, expected, final=True)
    spans = [(p.starts[a:b], p.ends[a:b], p.fields[a:b]) for p, a, b in runs]
    cut = np.array(unbalanced, dtype=np.int64).reshape(-1, 2)
    starts = np.concatenate([s for s, _, _ in spans] + [cut[:, 0]])
    ends = np.concatenate([e for _, e, _ in spans] + [cut[:, 1]])
    fields = np.concatenate([f for _, _, f in spans] + [np.zeros(len(cut), dtype=np.int64)])
    flags = np.concatenate([np.zeros(len(starts) - len(cut), dtype=bool), np.ones(len(cut), dtype=bool)])
    order = np.argsort(starts, kind="stable")
    starts, ends, fields, flags = starts[order], ends[order], fields[order], flags[order]
    keep = _not_empty(scan.buf, starts, ends)
    starts, ends, fields, flags = starts[keep], ends[keep], fields[keep], flags[keep]
    lines = np.searchsorted(scan.newlines, starts) + 1
    return Records(lines.astype(np.int64), fields.astype(np.int64), starts, ends, flags)


def settled_end(data: bytes, delimiter: str, expected: int | None = None) -> int:
    """Where a part of the file may end: the offset of the first record of `data` (whole
    lines, more may follow) that the rest of the file could still change; 0 when even the
    first one could. The records before it are those the whole file's scan finds."""
    if not data.endswith(b"\n"):
        raise ValueError("a window must end with a line end")
    return _walk(_Bytes(data, delimiter), expected, final=False).settled


def containing(records: Records, positions: np.ndarray) -> np.ndarray:
    """Mask of the records that hold at least one of the byte offsets `positions`."""
    owner = _owner(records.starts, positions)
    inside = (owner >= 0) & (positions < records.ends[np.maximum(owner, 0)])
    mask = np.zeros(len(records), dtype=bool)
    mask[owner[inside]] = True
    return mask


def lone_carriage_returns(data: bytes) -> np.ndarray:
    """Offsets of carriage returns not followed by a newline."""
    buf = np.frombuffer(data, dtype=np.uint8)
    returns = np.flatnonzero(buf == CARRIAGE_RETURN)
    following = buf[np.minimum(returns + 1, len(buf) - 1)]
    return returns[(returns == len(buf) - 1) | (following != NEWLINE)]


def nul_bytes(data: bytes) -> np.ndarray:
    return np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == NUL)


def guess_delimiter(header: bytes) -> str:
    """The candidate that occurs most often in the header line (`,` on a tie)."""
    counts = {d: header.count(d.encode()) for d in (",", ";", "\t", "|")}
    return max(counts, key=lambda d: (counts[d], d == ","))
