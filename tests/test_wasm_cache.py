"""The compiled WebAssembly Graphviz kept in the private cache (`gradcli.wasmcache`).

Compiled code is native code run in-process, so a cache file is loaded only when it passes
`cache`'s checks and its own: the stamp (the module, wasmtime's build, gradcli, the engine's
settings), the recorded length and SHA-256, and wasmtime's own check. Each refusal is shown by
which path ran: compiled again (`_compile`), or the file's code handed to wasmtime
(`_deserialize`). Most cases use a tiny module (compiled in milliseconds); the race of two first
uses runs the real command twice at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

wasmtime = pytest.importorskip("wasmtime")

from gradcli import cache, wasmcache  # noqa: E402

ROOT = os.geteuid() == 0
OTHER = 65534  # nobody
SETTINGS = "test settings"
TINY = '(module (func (export "answer") (result i32) i32.const 42))'


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A private cache folder of this test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "gradcli"


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.wasm"
    path.write_bytes(wasmtime.wat2wasm(TINY))
    return path


@pytest.fixture
def calls(monkeypatch) -> dict[str, int]:
    """How often the module was compiled and how often cached code was handed to wasmtime."""
    counted = {"compiled": 0, "loaded": 0}
    compile_, deserialize = wasmcache._compile, wasmcache._deserialize

    def compiled(*args):
        counted["compiled"] += 1
        return compile_(*args)

    def loaded(*args):
        counted["loaded"] += 1
        return deserialize(*args)

    monkeypatch.setattr(wasmcache, "_compile", compiled)
    monkeypatch.setattr(wasmcache, "_deserialize", loaded)
    return counted


ENGINE = wasmtime.Engine()


def answer(module) -> int:
    """Run the tiny module's one function: the module works."""
    store = wasmtime.Store(ENGINE)
    return wasmtime.Instance(store, module, []).exports(store)["answer"](store)


def use(path: Path, settings: str = SETTINGS):
    return wasmcache.module(ENGINE, path, settings)


def test_the_first_use_compiles_and_keeps_the_code_private(home, tiny, calls):
    assert answer(use(tiny)) == 42
    assert calls == {"compiled": 1, "loaded": 0}
    kept = home / wasmcache.NAME
    assert kept.stat().st_mode & 0o777 == 0o600 and home.stat().st_mode & 0o777 == 0o700
    assert kept.read_bytes().startswith(wasmcache.MAGIC)
    assert answer(use(tiny)) == 42  # the second use loads it
    assert calls == {"compiled": 1, "loaded": 1}
    assert [p.name for p in home.iterdir()] == [wasmcache.NAME]  # no temporary file left


def damaged(data: bytes) -> dict[str, bytes]:
    head = len(wasmcache.MAGIC)
    code = data.index(b"\n", head + 65) + 1 + 64 + 1  # past the stamp, the length and the digest
    return {
        "empty": b"",
        "truncated": data[: len(data) // 2],
        "one byte of code flipped": data[:code] + bytes([data[code] ^ 1]) + data[code + 1 :],
        "last byte of code flipped": data[:-1] + bytes([data[-1] ^ 0xFF]),
        "a byte appended": data + b"\0",
        "another format": b"gradcli compiled WebAssembly 0\n" + data[head:],
        "header cut": data[: head + 40],
        "length not a number": data.replace(b"\n%d\n" % (len(data) - code), b"\nlots\n", 1),
    }


@pytest.mark.parametrize(
    "damage",
    [
        "empty",
        "truncated",
        "one byte of code flipped",
        "last byte of code flipped",
        "a byte appended",
        "another format",
        "header cut",
        "length not a number",
    ],
)
def test_a_damaged_file_is_not_loaded_and_is_rebuilt(home, tiny, calls, damage):
    use(tiny)
    kept = home / wasmcache.NAME
    good = kept.read_bytes()
    kept.write_bytes(damaged(good)[damage])
    assert answer(use(tiny)) == 42
    assert calls == {"compiled": 2, "loaded": 0}  # never handed to wasmtime
    assert kept.read_bytes().startswith(wasmcache.MAGIC)
    use(tiny)
    assert calls == {"compiled": 2, "loaded": 1}  # the rebuilt file is whole again


def test_a_stale_stamp_is_rebuilt(home, tiny, calls, monkeypatch):
    use(tiny)
    other = tiny.with_name("other.wasm")
    other.write_bytes(wasmtime.wat2wasm(TINY.replace("42", "43")))
    assert answer(use(other)) == 43  # another module: not the cached code of the first
    assert calls == {"compiled": 2, "loaded": 0}
    use(other, "other settings")  # another engine configuration
    assert calls == {"compiled": 3, "loaded": 0}
    use(other, "other settings")
    assert calls == {"compiled": 3, "loaded": 1}


def test_another_wasmtime_build_is_a_stale_stamp(home, tiny, calls, monkeypatch, tmp_path):
    use(tiny)
    from wasmtime import _ffi

    library = tmp_path / "_libwasmtime.so"
    library.write_bytes(b"another build")
    monkeypatch.setattr(_ffi, "filename", library)
    use(tiny)
    assert calls == {"compiled": 2, "loaded": 0}


def test_code_that_wasmtime_refuses_for_this_engine_is_rebuilt(home, tiny, calls):
    """A whole file with the right stamp, holding code compiled for another engine configuration
    (as if the stamp had missed a setting): wasmtime refuses it, and the module is compiled again."""
    config = wasmtime.Config()
    config.epoch_interruption = True
    foreign = wasmtime.Module(wasmtime.Engine(config), tiny.read_bytes()).serialize()
    stamp = wasmcache._stamp(tiny.read_bytes(), SETTINGS)
    assert cache.write(wasmcache.NAME, wasmcache.record(stamp, bytes(foreign)))
    assert answer(use(tiny)) == 42
    assert calls == {"compiled": 1, "loaded": 1}


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o666])
def test_a_file_writable_by_others_is_not_loaded(home, tiny, calls, mode):
    use(tiny)
    (home / wasmcache.NAME).chmod(mode)
    use(tiny)
    assert calls == {"compiled": 2, "loaded": 0}
    assert (home / wasmcache.NAME).stat().st_mode & 0o777 == 0o600  # replaced by a private one


def test_a_folder_writable_by_others_is_not_used(home, tiny, calls):
    use(tiny)
    home.chmod(0o777)
    use(tiny)
    use(tiny)
    assert calls == {"compiled": 3, "loaded": 0}


@pytest.mark.skipif(not ROOT, reason="a file owned by another user needs root (chown)")
def test_a_file_owned_by_someone_else_is_not_loaded(home, tiny, calls):
    use(tiny)
    os.chown(home / wasmcache.NAME, OTHER, OTHER)
    use(tiny)
    assert calls == {"compiled": 2, "loaded": 0}
    assert (home / wasmcache.NAME).stat().st_uid == os.getuid()


def test_a_link_is_not_followed(home, tiny, calls, tmp_path):
    use(tiny)
    elsewhere = tmp_path / "elsewhere.bin"
    (home / wasmcache.NAME).rename(elsewhere)
    (home / wasmcache.NAME).symlink_to(elsewhere)
    use(tiny)
    assert calls == {"compiled": 2, "loaded": 0}


def test_an_unusable_cache_still_draws(tiny, calls, monkeypatch, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert answer(use(tiny)) == 42 and answer(use(tiny)) == 42
    assert calls == {"compiled": 2, "loaded": 0}


# ---- two first uses at once, the real Graphviz ---------------------------------------------------

#: gradcli graph, with every compile held until both processes have compiled: both then write at once.
RACER = """
import os, sys, time
from pathlib import Path
from gradcli import wasmcache
compile_ = wasmcache._compile
def compiled(*args):
    module = compile_(*args)
    meeting = Path(os.environ["MEETING"])
    (meeting / str(os.getpid())).touch()
    deadline = time.monotonic() + 60
    while len(list(meeting.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    return module
wasmcache._compile = compiled
from gradcli.cli import main
main(sys.argv[1:])
"""
SEED = ["L=(a*b+c)*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2"]


def test_two_first_uses_at_once_leave_one_whole_file(tmp_path, monkeypatch):
    (tmp_path / "meeting").mkdir()
    env = os.environ | {"XDG_CACHE_HOME": str(tmp_path / "cache"), "MEETING": str(tmp_path / "meeting")}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not (Path(p) / "dot").exists())
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, "graph", *SEED, "--out", str(tmp_path / f"{k}.svg")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for k in (1, 2)
    ]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    assert len(list((tmp_path / "meeting").iterdir())) == 2  # both compiled: the writes raced
    assert (tmp_path / "1.svg").read_text() == (tmp_path / "2.svg").read_text()
    assert ">grad 6.0000</text>" in (tmp_path / "1.svg").read_text()
    folder = tmp_path / "cache" / "gradcli"
    assert [p.name for p in folder.iterdir()] == [wasmcache.NAME]  # one file, no temporary left
    # The file is whole: a third use loads it without compiling.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    from gradcli import render

    monkeypatch.setattr(render, "_wasm", None)
    monkeypatch.setattr(wasmcache, "_compile", lambda *args: pytest.fail("compiled again"))
    svg = render._wasm_svg("digraph { a -> b }").decode()
    assert "<title>a&#45;&gt;b</title>" in svg
