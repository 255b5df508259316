"""Hostile use of ``--output``: one output policy, one-line refusals, nothing destroyed or left behind.

Run as root (as the README's set-up is), ``--output`` must never replace a device node, never
overwrite an input of the export, and never leave its hidden temp file or scratch folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from exporter.cli import main
from exporter.engine.output import OutputError, check_target

ENTRY = "kd1-1918-03-06"
EXPORTER = str(Path(sys.executable).parent / "exporter")


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(code: int, err: str, expect_code: int, *words: str) -> None:
    lines = err.strip().splitlines()
    assert code == expect_code, err
    assert len(lines) == 1, err
    assert lines[0].startswith("exporter: error: ") and "Traceback" not in err
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def corpus_copy(tmp_path, sample_path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(sample_path, folder)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def no_leftovers(folder: Path) -> None:
    left = [p.name for p in folder.rglob(".*.part")]
    assert not left, left


# -- inputs of the export are never outputs -------------------------------------------------------

INPUT_FILES = ["annotations/irina.jsonld", "annotations/tomas.jsonld", "archive.json",
               "dolgorukov-diaries-1918.xml"]


@pytest.mark.parametrize("fmt", ["annotations-jsonld", "ris", "json"])
@pytest.mark.parametrize("victim", INPUT_FILES)
def test_export_onto_its_own_input_is_refused(capsys, corpus_copy, victim, fmt):
    before = snapshot(corpus_copy)
    code, out, err = run_main(capsys, "export", "--corpus", str(corpus_copy), "--all", "--user", "tomas",
                              "--format", fmt, "--output", str(corpus_copy / victim), "--accept-terms")
    assert_refused(code, err, 2, "input of this export", victim.split("/")[-1])
    assert snapshot(corpus_copy) == before
    no_leftovers(corpus_copy)


@pytest.mark.parametrize("how", ["hardlink", "symlink", "dotdot"])
def test_inputs_are_seen_through_links_and_dotdot(capsys, corpus_copy, tmp_path, how):
    victim = corpus_copy / "annotations" / "irina.jsonld"
    before = victim.read_bytes()
    if how == "hardlink":
        alias = tmp_path / "alias.jsonld"
        os.link(victim, alias)
    elif how == "symlink":
        alias = tmp_path / "alias.jsonld"
        alias.symlink_to(victim)
    else:
        alias = corpus_copy / "annotations" / ".." / "annotations" / "irina.jsonld"
    code, _, err = run_main(capsys, "export", "--corpus", str(corpus_copy), "--all", "--user", "tomas",
                            "--format", "annotations-jsonld", "--output", str(alias))
    assert_refused(code, err, 2, "input of this export")
    assert victim.read_bytes() == before
    if how == "symlink":
        assert alias.is_symlink()


@pytest.mark.parametrize("name", ["archive.json", "new-notes.jsonld", "annotations/new.jsonld",
                                  "another-volume.xml", "vol.TEI"])
def test_names_the_loader_would_read_are_refused(capsys, corpus_copy, name):
    target = corpus_copy / name
    code, _, err = run_main(capsys, "export", "--corpus", str(corpus_copy), "--all",
                            "--format", "ris", "--output", str(target))
    if name == "archive.json":
        assert_refused(code, err, 2, "input of this export")
    else:
        assert_refused(code, err, 2, "would be read")
    assert target.exists() == (name == "archive.json")


def test_other_files_in_the_corpus_folder_are_fine(capsys, corpus_copy):
    code, out, err = run_main(capsys, "export", "--corpus", str(corpus_copy), "--all",
                              "--format", "ris", "--output", str(corpus_copy / "kd1.ris"))
    assert code == 0 and (corpus_copy / "kd1.ris").stat().st_size > 1000


def test_single_volume_corpus_is_protected(capsys, tmp_path, frus_path):
    vol = tmp_path / "frus.xml"
    shutil.copy(frus_path, vol)
    before = vol.read_bytes()
    code, _, err = run_main(capsys, "export", "--corpus", str(vol), "--entries", "d1", "--format", "json",
                            "--accept-terms", "--output", str(vol))
    assert_refused(code, err, 2, "input of this export")
    assert vol.read_bytes() == before


def test_the_style_in_use_is_protected(capsys, tmp_path, engine):
    style = engine.plugins.styles.get("archival-documents").path
    before = Path(style).read_bytes()
    code, _, err = run_main(capsys, "export", "--entries", ENTRY, "--format", "html", "--accept-terms",
                            "--style", "archival-documents", "--output", str(style))
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert Path(style).read_bytes() == before


def test_the_program_itself_is_protected(capsys):
    import exporter

    target = Path(exporter.__file__).parent / "engine" / "output.py"
    before = target.read_bytes()
    code, _, err = run_main(capsys, "export", "--entries", ENTRY, "--format", "ris", "--output", str(target))
    assert_refused(code, err, 2, "program")
    assert target.read_bytes() == before


# -- device nodes, pipes, sockets, folders --------------------------------------------------------

@pytest.mark.parametrize("fmt", ["ris", "json", "annotations-csv"])
def test_dev_null_is_written_in_place_never_replaced(capsys, fmt):
    st = os.stat("/dev/null")
    code, out, err = run_main(capsys, "export", "--entries", ENTRY, "--format", fmt, "--accept-terms",
                              "--output", "/dev/null")
    assert code == 0, err
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (st.st_ino, st.st_rdev)
    assert not list(Path("/dev").glob(".null.*.part"))


def test_a_failed_render_writes_nothing_to_a_device(capsys, tmp_path):
    code, _, err = run_main(capsys, "export", "--entries", "nope", "--format", "ris", "--output", "/dev/null")
    assert code == 4 and len(err.strip().splitlines()) == 1


def test_named_pipe_with_a_reader_gets_the_whole_output(capsys, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []

    def reader():
        with open(fifo, "rb") as fh:
            got.append(fh.read())

    t = threading.Thread(target=reader)
    t.start()
    time.sleep(0.2)
    code, _, err = run_main(capsys, "export", "--entries", ENTRY, "--format", "ris", "--output", str(fifo))
    t.join(10)
    assert code == 0, err
    assert got and got[0].startswith(b"TY  - ")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_named_pipe_without_a_reader_is_refused_not_hung(capsys, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    started = time.monotonic()
    code, _, err = run_main(capsys, "export", "--entries", ENTRY, "--format", "ris", "--output", str(fifo))
    assert time.monotonic() - started < 30
    assert_refused(code, err, 2, "nobody reads the pipe")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_socket_is_refused(capsys, tmp_path):
    path = tmp_path / "sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    try:
        code, _, err = run_main(capsys, "export", "--entries", ENTRY, "--format", "ris", "--output", str(path))
        assert_refused(code, err, 2, "socket")
        assert stat.S_ISSOCK(os.stat(path).st_mode)
    finally:
        s.close()


@pytest.mark.parametrize("given", ["{tmp}", "{tmp}/", "{tmp}/.", "{tmp}/..", "{tmp}/missing/out.ris", ""])
def test_folders_and_missing_folders_are_refused(capsys, tmp_path, given):
    target = given.format(tmp=tmp_path)
    code, _, err = run_main(capsys, "export", "--entries", ENTRY, "--format", "ris", "--output", target)
    assert_refused(code, err, 2, "--output")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_block_device_is_refused(capsys):
    blocks = [p for p in Path("/dev").iterdir() if p.exists() and stat.S_ISBLK(p.stat().st_mode)]
    if not blocks:
        pytest.fail("no block device on this machine to test with")
    before = blocks[0].stat()
    code, _, err = run_main(capsys, "export", "--entries", ENTRY, "--format", "ris", "--output", str(blocks[0]))
    assert_refused(code, err, 2, "block device")
    assert stat.S_ISBLK(blocks[0].stat().st_mode) and blocks[0].stat().st_ino == before.st_ino


# -- names ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("length", [256, 300, 1000, 5000])
def test_overlong_names_are_refused(capsys, tmp_path, length):
    code, _, err = run_main(capsys, "export", "--entries", ENTRY, "--format", "ris",
                            "--output", str(tmp_path / ("a" * length)))
    assert_refused(code, err, 2, "--output")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["a" * 255, "é" * 127, "ж" * 100 + ".ris"])
def test_long_names_within_the_limit_work(capsys, tmp_path, name):
    code, _, err = run_main(capsys, "export", "--entries", ENTRY, "--format", "ris",
                            "--output", str(tmp_path / name))
    assert code == 0, err
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_nul_in_the_name_is_refused():
    with pytest.raises(OutputError, match="not a usable file name"):
        check_target("out\0.ris")


def test_symlink_to_a_regular_file_replaces_the_file_keeps_the_link(capsys, tmp_path):
    real = tmp_path / "real.ris"
    real.write_text("old")
    link = tmp_path / "link.ris"
    link.symlink_to(real)
    code, _, err = run_main(capsys, "export", "--entries", ENTRY, "--format", "ris", "--output", str(link))
    assert code == 0, err
    assert link.is_symlink() and real.read_text().startswith("TY  - ")
    no_leftovers(tmp_path)


def test_read_only_folder_is_a_one_line_refusal(capsys, tmp_path):
    if os.geteuid() == 0:
        # root writes anywhere; a full file system stands in (no space to create the temp file)
        target = "/proc/exporter-test.ris"
        code, _, err = run_main(capsys, "export", "--entries", ENTRY, "--format", "ris", "--output", target)
    else:
        folder = tmp_path / "ro"
        folder.mkdir(mode=0o500)
        code, _, err = run_main(capsys, "export", "--entries", ENTRY, "--format", "ris",
                                "--output", str(folder / "x.ris"))
    assert_refused(code, err, 2, "cannot write")


# -- stdout ---------------------------------------------------------------------------------------

def _closed_stdout(*args: str) -> subprocess.CompletedProcess:
    """Run the console script with file descriptor 1 closed (``exporter ... >&-``)."""
    return subprocess.run([EXPORTER, *args], stderr=subprocess.PIPE, timeout=120,
                          preexec_fn=lambda: os.close(1))


@pytest.mark.parametrize("args,code", [
    (("export", "--entries", ENTRY, "--format", "ris", "--output", "-"), 2),
    (("export", "--entries", ENTRY, "--format", "json", "--accept-terms", "--output", "-"), 2),
    (("formats",), 2),
    (("formats", "--json"), 2),
    (("toc",), 2),
    (("styles",), 2),
    (("cite", "--entries", ENTRY, "--style", "archival-documents"), 2),
])
def test_closed_stdout_is_one_line(args, code):
    proc = _closed_stdout(*args)
    err = proc.stderr.decode()
    assert proc.returncode == code, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "standard output is closed" in err


def test_closed_stdout_after_a_successful_file_export(tmp_path):
    target = tmp_path / "x.ris"
    proc = _closed_stdout("export", "--entries", ENTRY, "--format", "ris", "--output", str(target))
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr
    assert target.read_text().startswith("TY  - ")


def test_reader_closing_the_pipe_early(cli, frus_path):
    p = subprocess.Popen([EXPORTER, "export", "--corpus", str(frus_path), "--all", "--format", "ris",
                          "--output", "-"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.read(10)
    p.stdout.close()
    err = p.stderr.read().decode()
    p.wait(120)
    # the output may fit in the pipe's buffer before the reader goes (exit 0) or not (exit 1)
    assert p.returncode in (0, 1) and "Traceback" not in err and len(err.strip().splitlines()) <= 1


# -- signals --------------------------------------------------------------------------------------

SLOW_PLUGIN = '''
import time
from exporter import hookimpl
from exporter.registry import Format

def render(doc, out):
    out.write(b"partial" * 1000)
    open(__import__("tempfile").gettempdir() + "/scratch-file", "wb").write(b"x")
    print("rendering", file=__import__("sys").stderr, flush=True)
    time.sleep(60)

@hookimpl
def exporter_register_formats(register):
    register(Format(name="slow", media_type="text/plain", extension="txt", material=False, render=render))
'''


@pytest.fixture
def slow_plugin_env(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "slow_plugin.py").write_text(SLOW_PLUGIN)
    dist = site / "slow_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: slow-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[exporter]\nslow = slow_plugin\n")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    return {**os.environ, "PYTHONPATH": str(site), "TMPDIR": str(scratch)}, scratch


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signal_mid_render_leaves_nothing(tmp_path, slow_plugin_env, sig):
    env, scratch = slow_plugin_env
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    p = subprocess.Popen([EXPORTER, "export", "--entries", ENTRY, "--format", "slow",
                          "--output", str(out_dir / "x.txt")], env=env, stderr=subprocess.PIPE)
    line = p.stderr.readline()
    assert b"rendering" in line, line + p.stderr.read()
    assert list(out_dir.iterdir()) and list(scratch.iterdir())  # the temp file and scratch exist now
    p.send_signal(sig)
    err = p.stderr.read().decode()
    p.wait(30)
    assert p.returncode == 128 + sig, err
    assert "nothing was written" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert list(out_dir.iterdir()) == [] and list(scratch.iterdir()) == []


def test_signal_handlers_are_restored_after_an_export(engine, tmp_path):
    from exporter.engine import ExportRequest

    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    engine.export(ExportRequest(format="ris", entries=ENTRY), tmp_path / "x.ris")
    assert {s: signal.getsignal(s) for s in before} == before
