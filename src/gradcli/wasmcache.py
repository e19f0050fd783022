"""The WebAssembly Graphviz compiled once per machine: its native code kept in the private cache.

Compiling the module takes about a second of CPU; loading compiled code back takes milliseconds.
So the first picture drawn without Graphviz's `dot` compiles it and keeps the result (wasmtime's
`Module.serialize`) in the user's private cache folder, and later ones load it. Compiled code is
native code that runs in this process, so it is loaded only when every check passes:

* the folder and the file pass `cache`'s checks (real, owned by the user, writable by no one else);
* the file starts with this format's header, whose stamp names everything the code depends on:
  the WebAssembly module (its SHA-256), the wasmtime build (its native library's size and time),
  the engine's settings (as gradcli configures it) and the platform;
* the compiled code has the length and SHA-256 its header records (a damaged file is not loaded);
* and wasmtime accepts it for this engine (it checks its own version and settings too).

Anything else, and the module is compiled again, silently, and the cache rewritten atomically (a
temporary file renamed over the old one): two processes drawing their first picture at once each
compile and write a whole file, and a reader sees one whole file or the other.
"""

from __future__ import annotations

import hashlib
import os
import platform
import sys

from . import cache

NAME = "graphviz-wasm.bin"
MAGIC = b"gradcli compiled WebAssembly 1\n"
LIMIT = 64 << 20  # the compiled Graphviz is about 3 MiB


def module(engine, wasm_path: str | os.PathLike, settings: str):
    """The compiled module of the WebAssembly file for `engine`, from the cache or compiled now.

    `settings` describes the engine's configuration: compiled code is only ever loaded into an
    engine configured as the one that compiled it.
    """
    with open(wasm_path, "rb") as stream:
        wasm = stream.read()
    stamp = _stamp(wasm, settings)
    loaded = _load(engine, cache.read(NAME, LIMIT), stamp)
    if loaded is not None:
        return loaded
    compiled = _compile(engine, wasm)
    cache.write(NAME, record(stamp, compiled.serialize()))
    return compiled


def _compile(engine, wasm: bytes):
    import wasmtime

    return wasmtime.Module(engine, wasm)


def _deserialize(engine, code: bytes):
    """Compiled code back into a module (native code: only after every check has passed)."""
    import wasmtime

    return wasmtime.Module.deserialize(engine, code)


def record(stamp: bytes, code: bytes) -> bytes:
    """The cache file: the header (magic, stamp, length and SHA-256 of the code), then the code."""
    return b"".join([MAGIC, stamp, b"\n", b"%d\n" % len(code), hashlib.sha256(code).hexdigest().encode(), b"\n", code])


def _load(engine, data: bytes | None, stamp: bytes):
    """The module from a cache file made by `record` for `stamp`; None for anything else."""
    if data is None or not data.startswith(MAGIC):
        return None
    try:
        given, length, digest, code = data[len(MAGIC) :].split(b"\n", 3)
        whole = given == stamp and int(length) == len(code) and digest == hashlib.sha256(code).hexdigest().encode()
    except ValueError:  # too few lines, or a length that is not a number
        return None
    if not whole:
        return None
    from wasmtime import WasmtimeError

    try:
        return _deserialize(engine, code)
    except WasmtimeError:  # compiled by another wasmtime or for other settings
        return None


def _stamp(wasm: bytes, settings: str) -> bytes:
    """What compiled code is valid for, as the hex SHA-256 of every part."""
    from wasmtime import _ffi

    try:
        library = os.stat(_ffi.filename)
        build = f"{_ffi.filename} {library.st_size} {library.st_mtime_ns}"
    except (AttributeError, OSError):
        build = "unknown"  # then wasmtime's own check of its version decides
    parts = [
        hashlib.sha256(wasm).hexdigest(),
        f"wasmtime {build}",
        settings,
        f"{sys.platform} {platform.machine()}",
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest().encode()
