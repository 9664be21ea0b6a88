"""Where each CSV record starts, counted in physical lines, found without a Python loop.

DuckDB reads CSV fast but does not say which line a row came from, and a quoted field may
hold newlines, so "row number + 1" is wrong as soon as one field spans lines. This module
finds record boundaries the way an RFC 4180 reader does: a newline ends a record only when
an even number of quote characters precede it (a doubled quote `""` adds two and keeps the
parity). It also counts the delimiters outside quotes in each record, so rows with too few
or too many fields are known before DuckDB skips them. All of it is numpy over the bytes.

The bytes must be ASCII-compatible (UTF-8, Latin-1, Windows-1252): newline, quote and
delimiter are then single bytes that never occur inside a multi-byte character.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NEWLINE = 10
CARRIAGE_RETURN = 13
QUOTE = 34


@dataclass(frozen=True)
class Records:
    """Records of a CSV file: header first; empty lines are not records (DuckDB skips them)."""

    lines: np.ndarray  # physical line where each record starts (1 = first line)
    fields: np.ndarray  # number of fields in each record
    starts: np.ndarray  # byte offset of each record
    ends: np.ndarray  # byte offset just past each record (before its newline)

    def __len__(self) -> int:
        return len(self.lines)


def _outside_quotes(positions: np.ndarray, quotes: np.ndarray) -> np.ndarray:
    """Mask of `positions` preceded by an even number of quote characters."""
    return np.searchsorted(quotes, positions) % 2 == 0


def _not_empty(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Records with content: not zero bytes and not a lone carriage return."""
    length = ends - starts
    lone_cr = (length == 1) & (buf[np.minimum(starts, len(buf) - 1)] == CARRIAGE_RETURN)
    return (length > 0) & ~lone_cr


def scan_records(data: bytes, delimiter: str) -> Records:
    """Start line, field count and byte span of every record in `data`."""
    buf = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(buf == QUOTE)
    newlines = np.flatnonzero(buf == NEWLINE)
    terminators = newlines[_outside_quotes(newlines, quotes)]
    starts = np.concatenate(([0], terminators + 1))
    ends = np.concatenate((terminators, [len(buf)]))
    keep = _not_empty(buf, starts, ends)
    starts, ends = starts[keep], ends[keep]
    lines = np.searchsorted(newlines, starts) + 1
    delimiters = np.flatnonzero(buf == ord(delimiter))
    delimiters = delimiters[_outside_quotes(delimiters, quotes)]
    owner = np.searchsorted(starts, delimiters, side="right") - 1
    fields = np.bincount(owner[owner >= 0], minlength=len(starts))[: len(starts)] + 1
    return Records(lines=lines.astype(np.int64), fields=fields.astype(np.int64), starts=starts, ends=ends)


def guess_delimiter(header: bytes) -> str:
    """The candidate that occurs most often in the header line (`,` on a tie)."""
    counts = {d: header.count(d.encode()) for d in (",", ";", "\t", "|")}
    return max(counts, key=lambda d: (counts[d], d == ","))
