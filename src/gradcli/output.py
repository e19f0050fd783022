"""Writing output files atomically: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import InputError


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` so that the file is either the old one or the whole new one.

    A device or a pipe (`/dev/stdout`, `/dev/null`, `>(cmd)`) is written straight to: there is no
    file to replace. Through a symbolic link the file it names is replaced, and the link stays.
    """
    given = Path(path)
    if given.is_dir():
        raise InputError(f"cannot write {path}: it is a folder")
    try:
        if given.exists() and not given.is_file():
            with open(given, "wb") as handle:
                handle.write(data)
            return
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    target = Path(os.path.realpath(given))
    folder = target.parent
    if not folder.is_dir():
        raise InputError(f"cannot write {path}: the folder {given.parent} does not exist")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
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
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
