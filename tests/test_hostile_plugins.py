"""Hostile and broken plugins through the real console script: none harms another, or the output.

Each plugin is installed the way pip would (a ``*.dist-info`` folder with ``entry_points.txt`` on
``PYTHONPATH``), one site per test, so each case starts a fresh process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

EXPORTER = str(Path(sys.executable).parent / "exporter")
ENTRY = "kd1-1918-03-06"

HEAD = """
import os, sys, time, threading
from exporter import hookimpl
from exporter.registry import Format, LoadedVolume, Source
"""

PLUGINS = {
    "prints-at-import": HEAD + """
print("HELLO FROM A PLUGIN")
sys.stdout.write("more noise\\n")
os.write(1, b"C-LEVEL NOISE\\n")
""",
    "hangs-at-import": HEAD + "time.sleep(600)\n",
    "spins-at-import": HEAD + "while True:\n    pass\n",
    "exits-at-import": HEAD + "os._exit(0)\n",
    "sys-exits-at-import": HEAD + "sys.exit(0)\n",
    "raises-at-import": HEAD + "raise RuntimeError('broken on purpose')\n",
    "accepts-raises": HEAD + """
def accepts(path):
    raise RuntimeError("accepts is broken")
def load(path, cleaner):
    raise AssertionError("never called")
@hookimpl
def exporter_register_sources(register):
    register(Source(name="aaa-broken", accepts=accepts, load=load))
""",
    "greedy-raises": HEAD + """
def load(path, cleaner):
    raise ValueError("this source cannot read " + path.name)
@hookimpl
def exporter_register_sources(register):
    register(Source(name="aaa-greedy", accepts=lambda path: True, load=load))
""",
    "greedy-empty": HEAD + """
@hookimpl
def exporter_register_sources(register):
    register(Source(name="aaa-greedy", accepts=lambda path: True, load=lambda path, cleaner: []))
""",
    "greedy-junk": HEAD + """
@hookimpl
def exporter_register_sources(register):
    register(Source(name="aaa-greedy", accepts=lambda path: True, load=lambda path, cleaner: "junk"))
""",
    "greedy-exits": HEAD + """
def load(path, cleaner):
    os._exit(0)
@hookimpl
def exporter_register_sources(register):
    register(Source(name="aaa-greedy", accepts=lambda path: True, load=load))
""",
    "greedy-prints": HEAD + """
def accepts(path):
    print("source looked at", path)
    return False
@hookimpl
def exporter_register_sources(register):
    register(Source(name="aaa-noisy", accepts=accepts, load=lambda p, c: []))
""",
    "prints-registering": HEAD + """
@hookimpl
def exporter_register_formats(register):
    print("registering!")
    register(Format(name="noisy", media_type="text/plain", extension="txt", material=False,
                    render=lambda doc, out: out.write(b"ok") and None))
""",
    "hangs-registering": HEAD + """
@hookimpl
def exporter_register_formats(register):
    time.sleep(600)
""",
    "exits-registering": HEAD + """
@hookimpl
def exporter_register_formats(register):
    os._exit(3)
""",
    "prints-rendering": HEAD + """
def render(doc, out):
    print("NOISE WHILE RENDERING")
    os.write(1, b"C NOISE\\n")
    out.write(b"clean output\\n")
@hookimpl
def exporter_register_formats(register):
    register(Format(name="noisy-render", media_type="text/plain", extension="txt", material=False, render=render))
""",
    "exits-rendering": HEAD + """
def render(doc, out):
    out.write(b"half")
    os._exit(0)
@hookimpl
def exporter_register_formats(register):
    register(Format(name="exit-render", media_type="text/plain", extension="txt", material=False, render=render))
""",
    "thread-writer": HEAD + """
TARGET = os.environ["VICTIM"]
def render(doc, out):
    def work():
        with open(TARGET, "w") as fh:
            fh.write("written by a renderer's thread")
    t = threading.Thread(target=work)
    t.start()
    t.join()
    out.write(b"looks fine")
@hookimpl
def exporter_register_formats(register):
    register(Format(name="thread-writer", media_type="text/plain", extension="txt", material=False, render=render))
""",
    "thread-left-running": HEAD + """
def render(doc, out):
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
    out.write(b"looks fine")
@hookimpl
def exporter_register_formats(register):
    register(Format(name="thread-left", media_type="text/plain", extension="txt", material=False, render=render))
""",
    "swallows-everything": HEAD + """
def render(doc, out):
    out.write(b"partial")
    while True:
        try:
            time.sleep(0.05)
        except BaseException:
            pass
@hookimpl
def exporter_register_formats(register):
    register(Format(name="stubborn", media_type="text/plain", extension="txt", material=False, render=render))
""",
}


def install(tmp_path: Path, *names: str) -> dict:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    lines = ["[exporter]"]
    for name in names:
        module = "hostile_" + name.replace("-", "_")
        (site / f"{module}.py").write_text(textwrap.dedent(PLUGINS[name]))
        lines.append(f"{name} = {module}")
    dist = site / "hostile_plugins-1.0.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hostile-plugins\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")
    scratch = tmp_path / "tmp"
    scratch.mkdir(exist_ok=True)
    return {**os.environ, "PYTHONPATH": str(site), "TMPDIR": str(scratch), "EXPORTER_PLUGIN_TIMEOUT": "2"}


def run(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([EXPORTER, *args], capture_output=True, env=env, timeout=timeout)


NOISE = ("HELLO FROM A PLUGIN", "more noise", "C-LEVEL NOISE", "registering!", "source looked at",
         "NOISE WHILE RENDERING", "C NOISE")


def warnings_only(err: bytes) -> list[str]:
    """The exporter's own stderr lines (what plugins printed, sent to stderr, is set aside)."""
    text = err.decode()
    assert "Traceback" not in text, text
    lines = [line for line in text.strip().splitlines() if not line.startswith(NOISE)]
    assert all(line.startswith("exporter: ") for line in lines), text
    return lines


IMPORT_FAULTS = ["prints-at-import", "hangs-at-import", "spins-at-import", "exits-at-import",
                 "sys-exits-at-import", "raises-at-import", "hangs-registering", "exits-registering",
                 "prints-registering"]


@pytest.mark.parametrize("name", IMPORT_FAULTS)
def test_import_faults_leave_stdout_clean_and_exports_working(tmp_path, name):
    env = install(tmp_path, name)
    started = time.monotonic()
    proc = run(env, "export", "--entries", ENTRY, "--format", "ris", "--output", "-")
    assert time.monotonic() - started < 60
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(b"TY  - ") and b"NOISE" not in proc.stdout and b"HELLO" not in proc.stdout
    assert b"registering!" not in proc.stdout
    lines = warnings_only(proc.stderr)
    if name not in ("prints-at-import", "prints-registering"):
        assert any(name in line and "failed" in line for line in lines), lines


@pytest.mark.parametrize("name", IMPORT_FAULTS)
def test_formats_json_stays_valid_json(tmp_path, name):
    env = install(tmp_path, name)
    proc = run(env, "formats", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert {"pdf", "ris", "annotations-jsonld"} <= {r["name"] for r in rows}
    warnings_only(proc.stderr)


@pytest.mark.parametrize("name,stage,words", [
    ("hangs-at-import", "import", "within 2 s"),
    ("spins-at-import", "import", "within 2 s"),
    ("exits-at-import", "import", "os._exit(0)"),
    ("hangs-registering", "register", "within 2 s"),
    ("exits-registering", "register", "os._exit(3)"),
])
def test_plugins_lists_the_reason(tmp_path, name, stage, words):
    env = install(tmp_path, name)
    proc = run(env, "plugins", "--json")
    assert proc.returncode == 0, proc.stderr
    failures = {f["name"]: f for f in json.loads(proc.stdout)["failures"]}
    assert failures[name]["stage"] == stage and words in failures[name]["reason"]


@pytest.mark.parametrize("name", ["accepts-raises", "greedy-raises", "greedy-empty", "greedy-junk",
                                  "greedy-exits", "greedy-prints"])
@pytest.mark.parametrize("corpus", ["sample", "frus"])
def test_a_broken_or_greedy_source_harms_no_other(tmp_path, name, corpus, frus_path):
    env = install(tmp_path, name)
    args = ["--corpus", str(frus_path)] if corpus == "frus" else []
    proc = run(env, "toc", "--json", *args)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert len(rows) > 40
    warnings_only(proc.stderr)
    entry = "d1" if corpus == "frus" else ENTRY
    proc = run(env, "export", *args, "--entries", entry, "--format", "ris", "--output", "-")
    assert proc.returncode == 0 and proc.stdout.startswith(b"TY  - "), proc.stderr
    warnings_only(proc.stderr)


def test_renderer_printing_does_not_corrupt_stdout(tmp_path):
    env = install(tmp_path, "prints-rendering")
    proc = run(env, "export", "--entries", ENTRY, "--format", "noisy-render", "--output", "-")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"clean output\n"
    assert b"NOISE WHILE RENDERING" in proc.stderr


def test_renderer_calling_os_exit_fails_the_export(tmp_path):
    env = install(tmp_path, "exits-rendering")
    out = tmp_path / "out"
    out.mkdir()
    proc = run(env, "export", "--entries", ENTRY, "--format", "exit-render", "--output", str(out / "x.txt"))
    lines = warnings_only(proc.stderr)
    assert proc.returncode == 7 and len(lines) == 1 and "os._exit(0)" in lines[0]
    assert list(out.iterdir()) == []


def test_renderer_thread_cannot_write_elsewhere(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    env = {**install(tmp_path, "thread-writer"), "VICTIM": str(victim)}
    out = tmp_path / "out"
    out.mkdir()
    proc = run(env, "export", "--entries", ENTRY, "--format", "thread-writer", "--output", str(out / "x.txt"))
    lines = warnings_only(proc.stderr)
    assert proc.returncode == 7, lines
    assert victim.read_text() == "precious" and list(out.iterdir()) == []
    assert len(lines) == 1 and "victim.txt" in lines[0]


def test_renderer_leaving_a_thread_running_fails(tmp_path):
    env = install(tmp_path, "thread-left-running")
    out = tmp_path / "out"
    out.mkdir()
    proc = run(env, "export", "--entries", ENTRY, "--format", "thread-left", "--output", str(out / "x.txt"))
    lines = warnings_only(proc.stderr)
    assert proc.returncode == 7 and "thread" in lines[0] and list(out.iterdir()) == []


def test_renderer_swallowing_every_timeout_is_stopped(tmp_path):
    env = install(tmp_path, "swallows-everything")
    out = tmp_path / "out"
    out.mkdir()
    started = time.monotonic()
    proc = run(env, "export", "--entries", ENTRY, "--format", "stubborn", "--output", str(out / "x.txt"),
               "--timeout", "1")
    assert time.monotonic() - started < 30
    lines = warnings_only(proc.stderr)
    assert proc.returncode == 7 and len(lines) == 1 and "did not finish within 1 s" in lines[0]
    assert list(out.iterdir()) == [] and list((tmp_path / "tmp").iterdir()) == []


def test_in_process_thread_guard(engine, tmp_path):
    """The same guard in a library caller's process: a renderer's thread is refused too."""
    import threading

    from exporter.engine import ExportRequest
    from exporter.errors import RenderError
    from exporter.registry import Format

    victim = tmp_path / "victim.txt"

    def render(doc, out):
        errors = []

        def work():
            try:
                victim.write_text("x")
            except PermissionError as exc:
                errors.append(exc)
        t = threading.Thread(target=work)
        t.start()
        t.join()
        out.write(b"ok")

    engine.plugins.formats.add(Format(name="thread-test", media_type="text/plain", extension="txt",
                                      material=False, render=render), "tests")
    try:
        with pytest.raises(RenderError, match="victim.txt"):
            engine.export(ExportRequest(format="thread-test", entries=ENTRY), tmp_path / "x.txt")
    finally:
        engine.plugins.formats.remove("thread-test")
    assert not victim.exists() and not (tmp_path / "x.txt").exists()
    # Threads that existed before the render are not the renderer's: they write as before.
    victim.write_text("fine")
