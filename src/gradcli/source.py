"""Reading what the user gives: program text (or a CSV file, or Python source) from the command line,
a file or standard input, within limits on size and kind."""

from __future__ import annotations

import sys

from .errors import InputError

#: The most bytes read from a file or standard input: bounds memory on endless input (`yes | gradcli eval -`).
MAX_SOURCE_BYTES = 16 * 2**20
_CHUNK = 2**20


def cell_number(text: str) -> float | None:
    """A CSV cell's number as Python reads it (inf and nan included), or None when it is not one."""
    try:
        return float(text)
    except ValueError:
        return None


def read_source(expr: str | None, file: str | None, kind: str = "program text") -> str:
    """The program text from the EXPR argument, from `-f FILE`, or from stdin (`-`)."""
    if expr is not None and file is not None:
        raise InputError("give the program either as EXPR or with -f FILE, not both")
    if file is None and expr != "-":
        if expr is None:
            raise InputError("no program: give EXPR, -f FILE, or - to read standard input")
        return expr
    if file == "":
        raise InputError("-f needs a file name (or - for standard input)")
    if file in (None, "-"):
        label = "standard input"
        if sys.stdin is None:
            raise InputError("cannot read standard input: it is closed")
        data = _read_bytes(sys.stdin.buffer, label, kind)
    else:
        label = file
        try:
            with open(file, "rb") as stream:
                data = _read_bytes(stream, label, kind)
        except IsADirectoryError:
            raise InputError(f"cannot read {file}: it is a folder") from None
        except FileNotFoundError:
            raise InputError(f"cannot read {file}: no such file") from None
        except OSError as exc:
            raise InputError(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read {label}: it is not UTF-8 text (byte {exc.start})") from None


def _read_bytes(stream, label: str, kind: str) -> bytes:
    """Read in chunks, stopping at the first NUL byte (a binary file) or past MAX_SOURCE_BYTES."""
    chunks, size = [], 0
    while chunk := stream.read(_CHUNK):
        if b"\0" in chunk:
            raise InputError(f"cannot read {label}: it is a binary file, not {kind}")
        size += len(chunk)
        if size > MAX_SOURCE_BYTES:
            raise InputError(
                f"cannot read {label}: it is larger than {MAX_SOURCE_BYTES // 2**20} MB, the most gradcli reads"
            )
        chunks.append(chunk)
    return b"".join(chunks)
