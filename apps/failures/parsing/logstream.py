"""Compressed log bytes -> decompressed chunks for the error-line parser, as Treeherder reads them.

Treeherder streams the gzip body with `requests`: urllib3 reads 512 compressed bytes at a time and
inflates each read into one decoded chunk, and `iter_lines()` splits each chunk with
`bytes.splitlines()`. When a decoded chunk ends with `\\r` and the next starts with `\\n`, that
`\\r\\n` is split in two and counts as two line ends: an empty line that is not in the log, which
shifts the line numbers of everything after it by one. Those are the line numbers Treeherder stores
(and its golden `.logview.json` files hold, e.g. `wpt-multiple`), so by default this decoder
reproduces them: it inflates in the same 512-byte steps and, at such a split, inserts the `\\n` that
makes the phantom line explicit (`\\r\\n\\n` splits into the same lines). `treeherder_line_numbers=
False` gives the true line numbers instead.

The decoded pieces are joined into chunks of about `chunk_size` bytes, so the parser's per-chunk
cost is paid rarely.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from typing import Any

TREEHERDER_READ_SIZE = 512


class DecodeError(Exception):
    """The body is not valid gzip (or deflate) data."""


def _emit(inflater: Any, piece: bytes, out: list[bytes], quirk: bool, state: list[bool]) -> int:
    if inflater is not None:
        try:
            piece = inflater.decompress(piece)
        except zlib.error as exc:
            raise DecodeError(str(exc)) from exc
    if not piece:
        return 0
    added = len(piece)
    if quirk and state[0] and piece[0] == 0x0A:
        out.append(b"\n")
        added += 1
    state[0] = piece[-1] == 0x0D
    out.append(piece)
    return added


def inflate(
    compressed: Iterable[bytes],
    *,
    gzip: bool = True,
    treeherder_line_numbers: bool = True,
    chunk_size: int = 1 << 20,
) -> Iterator[bytes]:
    """Decompressed chunks of a gzip body given in compressed chunks of any size.

    With `gzip=False` the body is passed through as it is (a server that sent it uncompressed).
    """
    step = TREEHERDER_READ_SIZE if treeherder_line_numbers else 1 << 16
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzip else None
    out: list[bytes] = []
    size = 0
    state = [False]  # did the last decoded piece end with \r?
    carry = b""  # compressed bytes short of a whole read: reads are counted from the body's start
    for block in compressed:
        data = carry + block if carry else block
        whole = len(data) - len(data) % step
        carry = data[whole:]
        for i in range(0, whole, step):
            piece = data[i : i + step]
            size += _emit(inflater, piece, out, treeherder_line_numbers, state)
            if size >= chunk_size:
                yield b"".join(out)
                out, size = [], 0
    if carry:
        _emit(inflater, carry, out, treeherder_line_numbers, state)
    if inflater is not None:
        try:
            tail = inflater.flush()
        except zlib.error as exc:
            raise DecodeError(str(exc)) from exc
        if tail:
            out.append(tail)
    if out:
        yield b"".join(out)
