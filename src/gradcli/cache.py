"""The user's private cache folder, and files in it that no one else can have written.

A cached file is data that gradcli turns back into working parts (a parse table, a compiled
module), so it is read only when nobody but the user could have put it there:

* the folder is `$XDG_CACHE_HOME/gradcli`, or `~/.cache/gradcli` when XDG_CACHE_HOME is unset or
  relative (a relative path would name a folder of whatever checkout the command runs in);
* the folder is a real folder, not a symbolic link, owned by the user and writable by no one
  else; the file is a regular file, not a link, owned by the user and writable by no one else;
* the checks are made with `lstat` on open descriptors (the file is opened relative to the
  folder it was checked in, without following links), so nothing can be swapped in between.

A cache that fails a check is not used: `read` returns None and `write` does nothing, and the
caller rebuilds what it needed. Nothing here raises for a cache that cannot be used.
"""

from __future__ import annotations

import os
import stat

_FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


def folder() -> str | None:
    """The path of the private cache folder, or None when there is no absolute place for it."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, "gradcli")


def private(info: os.stat_result) -> bool:
    """Owned by the user and writable by no one else (group or others)."""
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read(name: str, limit: int = 256 * 2**20) -> bytes | None:
    """The bytes of cache file `name` when the folder and the file pass every check, else None."""
    fd = _open_folder(create=False)
    if fd is None:
        return None
    try:
        file = os.open(_checked(name), _READ_FLAGS, dir_fd=fd)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        info = os.fstat(file)
        if not (stat.S_ISREG(info.st_mode) and private(info) and info.st_size <= limit):
            return None
        with os.fdopen(file, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)
        return data if len(data) <= limit else None
    except OSError:
        return None
    finally:
        os.close(file)


def write(name: str, data: bytes) -> bool:
    """Write cache file `name` atomically, readable and writable by the user only (mode 0600).

    The data goes to a new temporary file in the checked folder, which is then renamed over
    `name`: a reader sees the old file or the whole new one. False when the cache is unusable.
    """
    fd = _open_folder(create=True)
    if fd is None:
        return False
    temporary = f".{_checked(name)}.{os.urandom(6).hex()}.tmp"
    try:
        file = os.open(temporary, _WRITE_FLAGS, 0o600, dir_fd=fd)
        try:
            with os.fdopen(file, "wb", closefd=False) as stream:
                stream.write(data)
        finally:
            os.close(file)
        os.replace(temporary, name, src_dir_fd=fd, dst_dir_fd=fd)
        return True
    except OSError:
        try:
            os.unlink(temporary, dir_fd=fd)
        except OSError:
            pass
        return False
    finally:
        os.close(fd)


def _checked(name: str) -> str:
    if not name or name.startswith(".") or "/" in name or "\0" in name:
        raise ValueError(f"not a plain cache file name: {name!r}")
    return name


def _open_folder(create: bool) -> int | None:
    """An open descriptor of the private cache folder once it passes the checks, else None."""
    path = folder()
    if path is None:
        return None
    try:
        if create:
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            try:
                os.mkdir(path, 0o700)
            except FileExistsError:
                pass
        fd = os.open(path, _FOLDER_FLAGS)  # fails on a symbolic link (O_NOFOLLOW)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode) and private(info):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None
