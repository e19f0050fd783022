"""Writing output files atomically: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

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
    target = check_path(path)
    try:
        if target.exists() and not target.is_file():
            with open(target, "wb") as handle:
                handle.write(data)
            return
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    tmp = None
    try:
        with shielded():  # a signal cannot fall between making the file and knowing its name
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException as exc:
        if tmp is not None:
            with shielded():
                Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
