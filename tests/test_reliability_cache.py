"""Reliability — nothing gradcli loads can come from another user.

The parse table is JSON, never a pickle: the one shipped beside the grammar, else one built on
the machine and kept in the user's private cache folder through `gradcli.cache`, which reads a
file only when the folder and the file are real (not links), owned by the user and writable by no
one else, under an absolute path. Covered here:

* no run of gradcli unpickles anything (pickle's loaders replaced by ones that fail);
* the three attacks that ran code through the old pickle cache, with the attacker as another
  user (uid 65534, through os.setuid in a child; skipped unless the suite runs as root):
  (a) the victim's own cache folder made world-writable, files planted in it by the attacker;
  (b) XDG_CACHE_HOME/gradcli a symbolic link to a world-writable sticky folder holding them;
  (c) a relative XDG_CACHE_HOME (`.cache`) and a cache shipped inside a cloned repository.
  Each plants a pickle that would create a marker file when loaded, under the old cache's name,
  and a parse table that would break parsing under the new one; gradcli runs as the victim (with
  the shipped table set aside, so that the cache is consulted) and neither is used;
* each rule of `gradcli.cache` on its own: links, modes, owners, non-regular files, sizes;
* the shipped table is the grammar's, parses as a fresh build does, and a mismatch falls back
  to a build that is cached, read back, and rebuilt when damaged.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import stat
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcli import cache, parser
from gradcli.errors import InputError, ParseError

ROOT = os.geteuid() == 0
OTHER = 65534  # nobody
as_root = pytest.mark.skipif(not ROOT, reason="planting files as another user needs root (os.setuid in a child)")

# ---- running gradcli as the victim ----------------------------------------------------------------

#: A child that runs gradcli's main() with the shipped parse table set aside, so that the cache is used.
CHILD = """
import sys
import gradcli.parser as parser
parser._shipped_table = lambda: None
from gradcli.cli import main
main(sys.argv[1:])
"""


def run_victim(*args: str, env: dict, cwd: Path | None = None, shipped: bool = False) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "gradcli", *args] if shipped else [sys.executable, "-c", CHILD, *args]
    environment = {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "HOME")} | env
    return subprocess.run(command, env=environment, cwd=cwd, capture_output=True, text=True, timeout=120)


class Payload:
    """Unpickling this creates the file `path`: the attacker's code running as the victim."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def planted_files(marker: Path) -> dict[str, bytes]:
    """What the attacker writes: Lark's pickle cache (its first line is a hash, then pickles, read
    before anything is checked), and a parse table with the right key in which `*` is lexed as `+`."""
    record = json.loads(parser.fresh_table())
    for terminal in record["memo"].values():
        if terminal.get("name") == "STAR":
            terminal["pattern"]["value"] = "+"
    return {
        "grammar.lark-cache": b"0" * 64 + b"\n" + pickle.dumps(Payload(str(marker))),
        parser.CACHED_TABLE: json.dumps(record).encode(),
    }


def assert_nothing_ran(result, marker: Path) -> None:
    assert not marker.exists(), "the planted pickle ran"
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["value"] == 6.0, "the planted table was used"  # a*b with a = 2, b = 3


EVAL = ["eval", "y = a*b", "--a", "2", "--b", "3", "--format", "json"]


@contextmanager
def shared_folder():
    """A folder that another user can reach (pytest's own temporary folders are private to root)."""
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        os.chmod(folder, 0o755)
        yield Path(folder)


def plant_as_other_user(folder: Path, files: dict[str, bytes]) -> None:
    """Write `files` into `folder` from a child process running as another user."""
    pid = os.fork()
    if pid == 0:  # the attacker
        try:
            os.setgid(OTHER)
            os.setuid(OTHER)
            for name, data in files.items():
                (folder / name).write_bytes(data)
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the attacker could not plant its files"
    assert all((folder / name).stat().st_uid == OTHER for name in files)


# ---- no pickle at all -----------------------------------------------------------------------------

NO_PICKLE = """
import pickle, sys
def refuse(*args, **kwargs):
    raise AssertionError("gradcli unpickled something")
pickle.load = pickle.loads = refuse
pickle.Unpickler = refuse
import gradcli.parser as parser
if sys.argv[1] == "built":
    parser._shipped_table = lambda: None
from gradcli.cli import main
main(sys.argv[2:])
"""


@pytest.mark.parametrize("table", ["shipped", "built", "cached"])
def test_no_run_unpickles_anything(tmp_path, table):
    env = {k: v for k, v in os.environ.items() if k != "XDG_CACHE_HOME"} | {"HOME": str(tmp_path)}
    runs = 2 if table == "cached" else 1  # the second run reads the table the first one cached
    for _ in range(runs):
        mode = "shipped" if table == "shipped" else "built"
        result = subprocess.run([sys.executable, "-c", NO_PICKLE, mode, *EVAL], env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["value"] == 6.0
    cached = tmp_path / ".cache" / "gradcli" / parser.CACHED_TABLE
    assert cached.exists() == (table != "shipped")


def test_the_parser_never_asks_lark_for_its_pickle_cache():
    import ast

    tree = ast.parse(Path(parser.__file__).read_text())
    keywords = [k.arg for node in ast.walk(tree) if isinstance(node, ast.Call) for k in node.keywords]
    assert "cache" not in keywords and "cache_grammar" not in keywords


# ---- the three attacks ----------------------------------------------------------------------------


@as_root
@pytest.mark.slow
def test_attack_a_files_planted_in_a_world_writable_cache_folder(monkeypatch):
    with shared_folder() as shared:
        home = shared / "victim"
        folder = home / ".cache" / "gradcli"
        folder.mkdir(parents=True)
        home.chmod(0o755), (home / ".cache").chmod(0o755), folder.chmod(0o777)  # the victim's mistake
        marker = shared / "pwned"
        plant_as_other_user(folder, planted_files(marker))
        for shipped in (False, True):
            assert_nothing_ran(run_victim(*EVAL, env={"HOME": str(home)}, shipped=shipped), marker)
        monkeypatch.setenv("HOME", str(home))
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        assert cache.read(parser.CACHED_TABLE) is None
        assert cache.write("probe", b"x") is False
        assert sorted(p.name for p in folder.iterdir()) == sorted(planted_files(marker))  # nothing written there


@as_root
@pytest.mark.slow
def test_attack_b_the_cache_folder_is_a_link_to_a_world_writable_sticky_folder():
    with shared_folder() as shared:
        sticky = shared / "sticky"
        sticky.mkdir()
        sticky.chmod(0o1777 | stat.S_ISVTX)
        base = shared / "xdg"
        base.mkdir()
        (base / "gradcli").symlink_to(sticky)
        marker = shared / "pwned"
        plant_as_other_user(sticky, planted_files(marker))
        env = {"HOME": str(shared / "home"), "XDG_CACHE_HOME": str(base)}
        assert_nothing_ran(run_victim(*EVAL, env=env), marker)
        # the same with the sticky folder owned by the victim: the link and the mode alone refuse it
        (sticky / parser.CACHED_TABLE).unlink()
        assert_nothing_ran(run_victim(*EVAL, env=env), marker)
        assert not (sticky / parser.CACHED_TABLE).exists()


def test_attack_c_a_relative_cache_home_inside_a_cloned_repository(tmp_path):
    """A clone's files belong to the victim, so only the rule "absolute paths only" stops this one."""
    repo, home = tmp_path / "clone", tmp_path / "home"
    folder = repo / ".cache" / "gradcli"
    folder.mkdir(parents=True, mode=0o700)
    home.mkdir(mode=0o700)
    marker = tmp_path / "pwned"
    for name, data in planted_files(marker).items():
        (folder / name).write_bytes(data)
        (folder / name).chmod(0o600)
    env = {"HOME": str(home), "XDG_CACHE_HOME": ".cache"}
    assert_nothing_ran(run_victim(*EVAL, env=env, cwd=repo), marker)
    assert (home / ".cache" / "gradcli" / parser.CACHED_TABLE).exists()  # the relative setting is ignored


# ---- the rules of gradcli.cache, one by one -------------------------------------------------------


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_the_folder_is_under_an_absolute_cache_home(home, monkeypatch):
    assert cache.folder() == str(home / ".cache" / "gradcli")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "xdg"))
    assert cache.folder() == str(home / "xdg" / "gradcli")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/xdg")  # ignored, as the XDG specification says
    assert cache.folder() == str(home / ".cache" / "gradcli")
    monkeypatch.setenv("HOME", "relative-home")
    assert cache.folder() is None
    assert cache.read("x") is None and cache.write("x", b"1") is False


def test_write_then_read_private_files_atomically(home):
    assert cache.read("table.json") is None
    assert cache.write("table.json", b"one")
    assert cache.write("table.json", b"two")
    folder = home / ".cache" / "gradcli"
    assert cache.read("table.json") == b"two"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "table.json").stat().st_mode) == 0o600
    assert [p.name for p in folder.iterdir()] == ["table.json"]  # no temporary file left behind


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", "../x", "a\0b"])
def test_only_plain_file_names(home, name):
    with pytest.raises(ValueError):
        cache.write(name, b"x")


def test_a_folder_writable_by_others_is_not_used(home):
    assert cache.write("t", b"x")
    folder = home / ".cache" / "gradcli"
    for mode in (0o770, 0o707, 0o777, 0o1777):
        folder.chmod(mode)
        assert cache.read("t") is None
        assert cache.write("u", b"y") is False
    folder.chmod(0o755)  # writable by the user alone: fine
    assert cache.read("t") == b"x"


def test_a_folder_that_is_a_link_is_not_used(home):
    real = home / "elsewhere"
    real.mkdir(mode=0o700)
    (real / "t").write_bytes(b"x")
    (real / "t").chmod(0o600)
    (home / ".cache").mkdir()
    (home / ".cache" / "gradcli").symlink_to(real)
    assert cache.read("t") is None
    assert cache.write("u", b"y") is False and not (real / "u").exists()


def test_a_file_that_is_a_link_or_writable_by_others_or_not_a_regular_file_is_not_read(home):
    assert cache.write("t", b"x")
    folder = home / ".cache" / "gradcli"
    (home / "target").write_bytes(b"x")
    (folder / "link").symlink_to(home / "target")
    assert cache.read("link") is None
    for mode in (0o620, 0o602, 0o666):
        (folder / "t").chmod(mode)
        assert cache.read("t") is None
    os.mkfifo(folder / "fifo", 0o600)
    assert cache.read("fifo") is None  # and it does not wait for a writer
    (folder / "dir").mkdir(mode=0o700)
    assert cache.read("dir") is None


def test_a_file_larger_than_the_limit_is_not_read(home):
    assert cache.write("big", b"x" * 100)
    assert cache.read("big", limit=100) == b"x" * 100
    assert cache.read("big", limit=99) is None


@as_root
def test_a_file_or_folder_of_another_owner_is_not_used(home):
    assert cache.write("t", b"x")
    folder = home / ".cache" / "gradcli"
    os.chown(folder / "t", OTHER, OTHER)
    assert cache.read("t") is None
    os.chown(folder / "t", 0, 0)
    os.chown(folder, OTHER, OTHER)
    assert cache.read("t") is None


# ---- the shipped table and the fallback build -----------------------------------------------------


def test_the_shipped_table_is_built_from_the_grammar():
    """Fails after a change to grammar/gradcli.lark until `python grammar/build_table.py` is run."""
    record = json.loads(parser._shipped_table())
    assert record["grammar"] == hashlib.sha256(parser.grammar_text().encode()).hexdigest()
    if record["lark"] == parser.lark_version:
        assert record["key"] == parser.table_key(parser.grammar_text())


@pytest.fixture(scope="module")
def shipped_and_built():
    """parse() through the shipped table, and through a table built from the grammar now."""
    key = parser.table_key(parser.grammar_text())
    record = json.loads(parser._shipped_table())
    if record["key"] != key:
        pytest.skip(f"the shipped table is for Lark {record['lark']}; this is Lark {parser.lark_version}")
    loaded = parser._Builder()
    lark = parser._load_table(parser._shipped_table(), key, loaded)
    built = parser._Builder()
    fresh = parser._build(parser.grammar_text(), built)
    return (lambda text: parser._parse(text, lark, loaded)), (lambda text: parser._parse(text, fresh, built))


def outcome(parse, text):
    try:
        graph = parse(text)
    except ParseError as err:
        return str(err)
    except InputError as err:
        return str(err)
    return [(n.op, n.args, n.name, n.start, n.end, n.value) for n in graph.nodes], graph.output


PIECES = ["a", "b1", "2", ".5", "1e-3", "3.", "tanh", "max", "(", ")", ",", "=", "+", "-", "*", "/", "**", "^"]
PIECES += [";", "\n", " ", "# c\n", "!", "[", "×", "²", "."]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14))
@pytest.mark.slow
def test_the_shipped_table_parses_as_a_fresh_build(shipped_and_built, pieces):
    shipped, built = shipped_and_built
    text = "".join(pieces)
    assert outcome(shipped, text) == outcome(built, text)


@pytest.fixture
def no_shipped_table(home, monkeypatch):
    """The shipped table does not match (another Lark): count the builds."""
    builds = []
    real = parser._build
    monkeypatch.setattr(parser, "_shipped_table", lambda: None)
    monkeypatch.setattr(parser, "_build", lambda *args: builds.append(1) or real(*args))
    parser._parser.cache_clear()
    yield builds
    parser._parser.cache_clear()


def test_without_a_matching_shipped_table_the_build_is_cached_and_read_back(home, no_shipped_table):
    assert parser.parse("y = a*b").output == 2
    assert len(no_shipped_table) == 1
    cached = home / ".cache" / "gradcli" / parser.CACHED_TABLE
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600
    parser._parser.cache_clear()
    assert parser.parse("y = a*b").output == 2
    assert len(no_shipped_table) == 1  # read from the cache, not built again


@pytest.mark.parametrize("damage", [b"", b"{", b"[]", b'{"key": 1}', b"\xff\xfe", None])
def test_a_damaged_or_stale_cached_table_is_rebuilt(home, no_shipped_table, damage):
    if damage is None:  # a table from another grammar or Lark
        record = json.loads(parser._shipped(parser.TABLE))
        record["key"] = "0" * 64
        damage = json.dumps(record).encode()
    assert cache.write(parser.CACHED_TABLE, damage)
    assert parser.parse("y = a*b").output == 2
    assert len(no_shipped_table) == 1
    assert json.loads(cache.read(parser.CACHED_TABLE))["key"] == parser.table_key(parser.grammar_text())
