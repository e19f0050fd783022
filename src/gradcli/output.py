"""Writing output files atomically: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .errors import InputError
from .interrupts import shielded


def check_path(path: str | os.PathLike) -> Path:
    """The file that writing `path` replaces (through any symbolic link), or an input error saying why not.

    Refused: a folder, a name ending in `/` (`out.dot/` never replaces the file `out.dot`), a
    symbolic link that loops, and a file whose folder does not exist (for a link, the folder of
    the file it names).
    """
    name = os.fspath(path)
    if Path(name).is_dir():
        raise InputError(f"cannot write {name}: it is a folder")
    if name.endswith(("/", os.sep)):
        raise InputError(
            f"cannot write {name}: the / at the end names a folder, and {name.rstrip('/' + os.sep)} is not one"
        )
    try:
        target = Path(os.path.realpath(name, strict=True))
    except FileNotFoundError:  # a new file, or a link to a file not made yet
        target = Path(os.path.realpath(name))
    except OSError as exc:  # a link that loops
        raise InputError(f"cannot write {name}: {exc.strerror or exc}") from None
    folder = target.parent
    if not folder.is_dir():
        if not Path(name).is_symlink():
            raise InputError(f"cannot write {name}: the folder {Path(name).parent} does not exist")
        link = os.readlink(name)
        raise InputError(f"cannot write {name}: it links to {link}, and the folder {folder} does not exist")
    return target


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` so that the file is either the old one or the whole new one.

    A device or a pipe (`/dev/stdout`, `/dev/null`, `>(cmd)`) is written straight to: there is no
    file to replace. Through a symbolic link the file it names is replaced, and the link stays.
    No temporary file is left behind, whatever stops the write (an error, Ctrl-C, SIGTERM).
    """
    with atomic_stream(path) as handle:
        handle.write(data)


@contextmanager
def atomic_stream(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file to write `path` through, piece by piece: it replaces `path` only when the block ends.

    An exception inside the block (an error, Ctrl-C, SIGTERM) leaves the old file as it was and no
    temporary file behind. Devices, pipes and links as in `write_atomic`.
    """
    target = check_path(path)
    try:
        if target.exists() and not target.is_file():
            with open(target, "wb") as handle:
                yield handle
            return
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    tmp = None
    try:
        with shielded():  # a signal cannot fall between making the file and knowing its name
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            yield handle
        _permissions(tmp, target)
        os.replace(tmp, target)
    except BaseException as exc:
        if tmp is not None:
            with shielded():
                Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


@contextmanager
def atomic_folder(path: str | os.PathLike) -> Iterator[Path]:
    """A new folder to fill; it replaces `path` (a folder or file) only when the block ends."""
    given = Path(path)
    target = Path(os.path.realpath(given))
    if not target.parent.is_dir():
        raise InputError(f"cannot write {path}: the folder {given.parent} does not exist")
    tmp = None
    try:
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
        yield tmp
        _permissions(tmp, target, folder=True)
        old = None
        if target.exists():
            old = target.with_name(f"{tmp.name}.old")
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    except BaseException as exc:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def _permissions(tmp: str | Path, target: Path, folder: bool = False) -> None:
    """The new file keeps the old one's mode, or gets the usual mode of a new file (umask applied)."""
    if target.exists() and target.is_dir() == folder:
        os.chmod(tmp, target.stat().st_mode & 0o7777)
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, (0o777 if folder else 0o666) & ~umask)
