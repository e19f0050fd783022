"""Reliability, class 4 — files: bad input files are clean errors, output files are atomic.

Input, for every command (a program with `-f FILE`, train's data with `--data FILE`): a missing
file, a folder, a file that cannot be read (permission denied, or an I/O error), a binary file,
an endless binary stream, a file that is not UTF-8, a file past the read limit, a closed standard
input. Each exits 2 with `error: cannot read ...`; a UTF-8 byte-order mark is fine.

Output, for every option that writes a file (graph --out, step --graph, train --plot): the file
is the whole new one, with the usual permissions, and no temporary file is left; when the write
fails or is interrupted midway, the old file is untouched and no temporary file is left. Through
a symbolic link the file it names is replaced and the link stays; a pipe or a device (`/dev/null`,
`/dev/stdout`) is written to, never replaced by a file.
Ctrl-C during long runs is in test_reliability_interrupt.py.

Standard streams, for every command: a closed standard input (or standard output), a full disk
behind standard output, a reader that goes away (a broken pipe), a terminal that takes only
ASCII: a clean error or a quiet end, never a traceback.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gradcli.source import MAX_SOURCE_BYTES
from helpers import run_cli
from reliability import assert_clean, base, bindings, commands, default_input, takes_program
from reliability import input_args as given

ROOT = os.geteuid() == 0


def input_args(command: str, path: str) -> list[str]:
    """The arguments that make `command` read `path`."""
    return given(command, path) + base(command)


def read_error(command: str, path: str, input: bytes | None = None) -> str:
    result = run_cli(command, *input_args(command, path), input=input)
    assert_clean(result, command)
    assert result.exit_code == 2
    return result.stderr


every_command = pytest.mark.parametrize("command", commands())


@every_command
def test_missing_file_and_folder(command, tmp_path):
    missing = read_error(command, f"{tmp_path}/nope.txt")
    assert f"{tmp_path}/nope.txt" in missing and "no such file" in missing
    assert f"cannot read {tmp_path}: it is a folder" in read_error(command, str(tmp_path))


@pytest.mark.skipif(ROOT, reason="root reads any file; see the I/O error test")
@every_command
def test_permission_denied(command, tmp_path):
    path = tmp_path / "locked.txt"
    path.write_text("x")
    path.chmod(0)
    assert f"cannot read {path}: Permission denied" in read_error(command, str(path))


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc")
@every_command
def test_a_file_that_fails_while_reading(command):
    """/proc/self/mem opens but fails to read at offset 0 (EIO), even for root."""
    assert "cannot read /proc/self/mem: Input/output error" in read_error(command, "/proc/self/mem")


@every_command
@pytest.mark.parametrize(
    "data,message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "it is a binary file, not"),
        ("x = 1".encode("utf-16"), "it is a binary file, not"),
        ("x = caf\xe9".encode("latin-1"), "it is not UTF-8 text (byte 7)"),
        (b"x = 1\n\xff", "it is not UTF-8 text (byte 6)"),
    ],
)
def test_binary_and_non_utf8_files(command, tmp_path, data, message):
    path = tmp_path / "input.txt"
    path.write_bytes(data)
    assert message in read_error(command, str(path))


@every_command
def test_an_endless_binary_stream_stops_at_the_first_chunk(command):
    assert "cannot read /dev/zero: it is a binary file" in read_error(command, "/dev/zero")


@every_command
def test_standard_input_past_the_read_limit(command):
    stderr = read_error(command, "-", input=b"1\n" * (MAX_SOURCE_BYTES // 2 + 1))
    assert "cannot read standard input: it is larger than 16 MB" in stderr


@pytest.mark.parametrize("command", [c for c in commands() if takes_program(c)])
def test_utf8_byte_order_mark_is_fine(command, tmp_path):
    path = tmp_path / "bom.grad"
    path.write_bytes("\ufeffL = x*x".encode())
    result = run_cli(command, "-f", str(path), *bindings(command, "--x", "3"), *base(command))
    assert_clean(result, command)
    assert result.exit_code == 0


def test_empty_file_name():
    result = run_cli("eval", "-f", "")
    assert result.exit_code == 2
    assert result.stderr == "error: -f needs a file name (or - for standard input)\n"


# ---- standard streams ---------------------------------------------------------------------------

SEED = ["L=(a*b+c)*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2"]


def gradcli_process(command: str, **options) -> subprocess.CompletedProcess:
    """`python -m gradcli COMMAND` on the seed example (or train's quick run), as a real process."""
    program = [SEED[0], *bindings(command, *SEED[1:])] if takes_program(command) else default_input(command)
    argv = [sys.executable, "-m", "gradcli", command, *program, *base(command)]
    return subprocess.run(argv, stderr=subprocess.PIPE, text=True, **options)


@every_command
@pytest.mark.slow
def test_a_full_disk_behind_standard_output(command):
    with open("/dev/full", "w") as full:
        done = gradcli_process(command, stdout=full)
    assert (done.returncode, done.stderr) == (1, "error: no space left on device\n")


@every_command
@pytest.mark.slow
def test_closed_standard_output_ends_quietly(command):
    done = gradcli_process(command, preexec_fn=lambda: os.close(1))
    assert (done.returncode, done.stderr) == (0, "")


@every_command
@pytest.mark.slow
def test_an_ascii_only_terminal(command):
    done = gradcli_process(command, stdout=subprocess.PIPE, env=os.environ | {"PYTHONIOENCODING": "ascii"})
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout


@pytest.mark.slow
def test_a_reader_that_goes_away():
    program = "x = 1\n" + "x = x + 1\n" * 20_000
    process = subprocess.Popen(
        [sys.executable, "-m", "gradcli", "eval", "-", "--format", "json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()  # the reader is gone before the first byte is written
    _, stderr = process.communicate(program.encode())
    assert process.returncode in (0, 1)  # 0 only if the whole output fit in the pipe first
    assert stderr == b""


@pytest.mark.slow
def test_closed_standard_input():
    done = subprocess.run(
        [sys.executable, "-m", "gradcli", "eval", "-"], stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    assert done.returncode == 2 and "the program is empty" in done.stderr
    closed = subprocess.run(
        [sys.executable, "-m", "gradcli", "eval", "-"],
        preexec_fn=lambda: os.close(0),
        capture_output=True,
        text=True,
    )
    assert (closed.returncode, closed.stderr) == (2, "error: cannot read standard input: it is closed\n")


# ---- output files -------------------------------------------------------------------------------

WRITERS = {
    "graph --out": ["graph", *SEED, "--out"],
    "step --graph": ["step", *SEED, "--lr", "0.001", "--graph"],
    "train --plot": ["train", "--steps", "2", "--hidden", "2", "--plot"],
}
every_writer = pytest.mark.parametrize("argv", WRITERS.values(), ids=WRITERS.keys())


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@every_writer
@pytest.mark.slow
def test_output_is_written_whole_with_the_usual_permissions(argv, tmp_path):
    path = tmp_path / "picture.svg"
    result = run_cli(*argv, str(path))
    assert_clean(result, argv[0])
    assert result.exit_code == 0
    assert path.read_bytes().rstrip().endswith(b"</svg>")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert leftovers(tmp_path) == []


@every_writer
@pytest.mark.slow
def test_replacing_a_file_keeps_its_permissions(argv, tmp_path):
    path = tmp_path / "picture.svg"
    path.write_text("old")
    path.chmod(0o600)
    assert run_cli(*argv, str(path)).exit_code == 0
    assert path.read_bytes().rstrip().endswith(b"</svg>")
    assert path.stat().st_mode & 0o777 == 0o600


@every_writer
@pytest.mark.parametrize(
    "failure,code,message",
    [
        (OSError(28, "No space left on device"), 2, "no space left on device"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
)
@pytest.mark.slow
def test_a_write_that_fails_midway_leaves_the_old_file(argv, tmp_path, monkeypatch, failure, code, message):
    path = tmp_path / "picture.svg"
    path.write_text("old picture")

    def fail(src, dst):
        assert Path(src).read_bytes().rstrip().endswith(b"</svg>")  # the whole new file was in the temporary one
        raise failure

    monkeypatch.setattr(os, "replace", fail)
    result = run_cli(*argv, str(path))
    assert_clean(result, argv[0], codes=(code,))
    assert message in result.stderr.lower()
    assert path.read_text() == "old picture"
    assert leftovers(tmp_path) == []


@every_writer
@pytest.mark.parametrize("name,message", [("no/such/folder/x.svg", "does not exist"), (".", "")])
def test_unwritable_output_paths_are_clean_errors(argv, tmp_path, monkeypatch, name, message):
    monkeypatch.chdir(tmp_path)
    result = run_cli(*argv, name)
    assert_clean(result, argv[0])
    assert result.exit_code == 2
    assert message in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@every_writer
@pytest.mark.slow
def test_through_a_symbolic_link_the_file_it_names_is_replaced(argv, tmp_path):
    real = tmp_path / "real.svg"
    real.write_text("old")
    (tmp_path / "link.svg").symlink_to("real.svg")
    assert run_cli(*argv, str(tmp_path / "link.svg")).exit_code == 0
    assert (tmp_path / "link.svg").is_symlink()
    assert real.read_bytes().rstrip().endswith(b"</svg>")
    assert leftovers(tmp_path) == []


@every_writer
@pytest.mark.slow
def test_a_device_is_written_to_not_replaced(argv, tmp_path):
    link = tmp_path / "null.svg"
    link.symlink_to(os.devnull)
    assert run_cli(*argv, str(link)).exit_code == 0
    assert link.is_symlink() and Path(os.devnull).is_char_device()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null.svg"]


@every_writer
@pytest.mark.slow
def test_a_pipe_is_written_to_not_replaced(argv, tmp_path):
    pipe = tmp_path / "pipe.svg"
    os.mkfifo(pipe)
    got = []

    def drain():
        with open(pipe, "rb") as reader:
            got.append(reader.read())

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    result = run_cli(*argv, str(pipe))
    # Let the reader end even if nothing was written. A blocking open would hang for ever when the
    # reader closes between a check and the open, so poke the pipe without blocking, with a deadline.
    deadline = time.monotonic() + 30
    while reader.is_alive() and time.monotonic() < deadline:
        try:
            os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:  # no reader has it open (any more)
            pass
        reader.join(0.1)
    assert not reader.is_alive()
    assert result.exit_code == 0, result.stderr
    assert got[0].rstrip().endswith(b"</svg>")
    assert stat.S_ISFIFO(pipe.stat().st_mode)


def refused_path(case: str, folder: Path) -> tuple[str, str]:
    """Make an output path that must be refused in `folder`: (the path, the error that says why)."""
    if case == "a name ending in / after a file's":
        (folder / "picture.svg").write_text("old")
        path = f"{folder}/picture.svg"
        return f"{path}/", f"cannot write {path}/: the / at the end names a folder, and {path} is not one"
    if case == "a link that loops":
        (folder / "loop.svg").symlink_to("loop.svg")
        return f"{folder}/loop.svg", f"cannot write {folder}/loop.svg: Too many levels of symbolic links"
    (folder / "link.svg").symlink_to("missing/picture.svg")  # a link whose target's folder is missing
    path = f"{folder}/link.svg"
    return path, f"cannot write {path}: it links to missing/picture.svg, and the folder {folder}/missing does not exist"


@every_writer
@pytest.mark.parametrize("case", ["a name ending in / after a file's", "a link that loops", "a link into no folder"])
def test_output_paths_that_are_refused_leave_everything_as_it_was(argv, tmp_path, case):
    path, error = refused_path(case, tmp_path)
    before = contents(tmp_path)
    result = run_cli(*argv, path)
    assert_clean(result, argv[0])
    assert result.exit_code == 2
    assert result.stderr.endswith(f"error: {error}\n")
    assert contents(tmp_path) == before  # the file, or the link, untouched; nothing added


def contents(folder: Path) -> dict:
    """Each entry of `folder`: where a link points, or a file's bytes."""
    return {p.name: f"-> {os.readlink(p)}" if p.is_symlink() else p.read_bytes() for p in folder.iterdir()}


@every_writer
@pytest.mark.slow
def test_a_dangling_link_into_an_existing_folder_makes_the_file_it_names(argv, tmp_path):
    link = tmp_path / "link.svg"
    link.symlink_to("made.svg")
    assert run_cli(*argv, str(link)).exit_code == 0
    assert link.is_symlink() and (tmp_path / "made.svg").read_bytes().rstrip().endswith(b"</svg>")
