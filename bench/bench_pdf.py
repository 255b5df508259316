"""Benchmark of the ``pdf`` format, with its reference figures measured in the same run.

Selection: ten source pages of March entries from the sample corpus (translation pages 20-29,
five entries, their editorial notes, Irina's visible annotations).

* warm, in-process: ``formats.pdf.render`` on an assembled document (stylesheet, fonts and
  templates cached after the first call, and the line-breaking results, drawn glyphs and
  deflated streams of the text, which the same selection printed again reuses; a third figure
  empties those caches before each render, as for text never printed before in the process),
  against naive weasyprint on the same HTML (``HTML(string=...).write_pdf()`` with the
  stylesheet inline, fresh every time, in a process of its own that imports weasyprint
  plainly), the two interleaved;
* cold, command line: ``exporter export --format pdf`` against headless Chromium printing the
  project's own ``html`` export of the same selection (and the ``weasyprint`` command line on
  that HTML, for scale).

The command lines run as an installed package does: the project's modules are byte-compiled
first (``compileall``, as ``pip`` does for a wheel) and ``PYTHONDONTWRITEBYTECODE`` is dropped
from their environment, so no run pays for compiling source.

Run: ``.venv/bin/python bench/bench_pdf.py [--runs N] [--cold-runs N]`` (``--cold-runs 0``: the
warm figures only).  Prints medians of wall
time and of CPU time (less disturbed by other work on a shared machine; for the command lines it
is the user+sys time of the finished child processes -- a lower bound for Chromium, whose
zygote-forked helpers are not children of the benchmark and escape the count).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SELECTION = ["--range", "kd1-1918-03-03a..kd1-1918-03-14", "--pages", "20-29", "--layer", "translation",
             "--user", "irina", "--annotations", "visible"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def median_time(fn, runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user+sys of the finished child processes) of ``fn``."""
    import resource

    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


#: Naive weasyprint in a process of its own (plain ``import weasyprint``, none of the format's
#: import shortcuts or speed-ups): one render per line read, answering "wall cpu".
NAIVE = r"""
import sys, time
from weasyprint import HTML
html = open(sys.argv[1], encoding="utf-8").read()
HTML(string=html).write_pdf()
print("ready", flush=True)
for _ in sys.stdin:
    t, c = time.perf_counter(), time.process_time()
    HTML(string=html).write_pdf()
    print(time.perf_counter() - t, time.process_time() - c, flush=True)
"""


def warm(runs: int, tmp: Path) -> dict[str, float]:
    from exporter.assets import read_style
    from exporter.engine import Engine, ExportRequest
    from exporter.formats import pdf
    from exporter.formats.pdf.html import build_html

    engine = Engine()
    request = ExportRequest(format="pdf", range="kd1-1918-03-03a..kd1-1918-03-14", pages="20-29",
                            layer="translation", user="irina", annotations="visible", accept_terms=True)
    doc = engine.assemble(request, engine.plugins.formats.get("pdf"))
    first = time.perf_counter()
    info = pdf.render(doc, io.BytesIO())
    first = time.perf_counter() - first
    # The same HTML for naive weasyprint, with the stylesheet inline (it has no cache).
    html = build_html(doc, set(), {}).replace(
        "</head>", "<style>" + read_style("pdf.css") + "@page { size: A4; }</style></head>", 1)
    (tmp / "naive.html").write_text(html, encoding="utf-8")
    naive_process = subprocess.Popen([sys.executable, "-c", NAIVE, str(tmp / "naive.html")], text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert naive_process.stdout.readline().strip() == "ready"
    from exporter.formats.pdf.speedups.tuning import LINE_CACHE

    try:  # kept deflated streams: not in every version of the format
        from exporter.formats.pdf.speedups.tuning import DEFLATED
    except ImportError:
        DEFLATED = {}

    ours, naive, ours_cpu, naive_cpu, fresh = [], [], [], [], []
    try:
        for _ in range(runs):  # interleaved, so background load hits both alike
            t, c = time.perf_counter(), time.process_time()
            pdf.render(doc, io.BytesIO())
            ours.append(time.perf_counter() - t)
            ours_cpu.append(time.process_time() - c)
            LINE_CACHE.clear()  # as for text never printed before in this process
            DEFLATED.clear()
            t = time.perf_counter()
            pdf.render(doc, io.BytesIO())
            fresh.append(time.perf_counter() - t)
            naive_process.stdin.write("\n")
            naive_process.stdin.flush()
            wall, cpu = map(float, naive_process.stdout.readline().split())
            naive.append(wall)
            naive_cpu.append(cpu)
    finally:
        naive_process.stdin.close()
        naive_process.wait(timeout=60)
    return {"first call": first, "warm": statistics.median(ours), "warm min": min(ours),
            "fresh": statistics.median(fresh), "fresh min": min(fresh),
            "naive": statistics.median(naive), "naive min": min(naive),
            "warm cpu": statistics.median(ours_cpu), "naive cpu": statistics.median(naive_cpu),
            "rendered pages": info.rendered_pages, "notes": len([n for e in doc.entries for n in e.notes]),
            "annotations": len(doc.annotations), "entries": len(doc.entries)}


def cold(runs: int, tmp: Path) -> dict[str, tuple[float, float] | str]:
    import compileall

    exporter = str(BIN / "exporter")
    html_out = tmp / "sel.html"
    for folder in (ROOT / "src", ROOT / "plugins"):
        compileall.compile_dir(str(folder), quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([exporter, "export", *SELECTION, "--format", "html", "--output", str(html_out),
                    "--accept-terms"], check=True, capture_output=True, env=env)

    def ours() -> None:
        subprocess.run([exporter, "export", *SELECTION, "--format", "pdf", "--output", str(tmp / "cli.pdf"),
                        "--accept-terms"], check=True, capture_output=True, env=env)

    results: dict[str, tuple[float, float] | str] = {}
    results["exporter CLI"] = median_time(ours, runs)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium:
        def chrome() -> None:
            profile = tempfile.mkdtemp(prefix="bench-chromium-")
            try:
                subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                f"--print-to-pdf={tmp / 'chromium.pdf'}", html_out.as_uri()],
                               check=True, capture_output=True, timeout=120)
            finally:
                shutil.rmtree(profile, ignore_errors=True)

        results["chromium"] = median_time(chrome, runs)
        results["chromium version"] = subprocess.run([chromium, "--version"], capture_output=True,
                                                     text=True).stdout.strip()
    else:
        results["chromium"] = "not installed (apt-get install -y chromium)"
    weasy = BIN / "weasyprint"
    if weasy.exists():
        def naive_cli() -> None:
            subprocess.run([str(weasy), str(html_out), str(tmp / "naive.pdf")], check=True, capture_output=True,
                           env=env)

        results["weasyprint CLI on the html export"] = median_time(naive_cli, runs)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="warm in-process repetitions")
    parser.add_argument("--cold-runs", type=int, default=5, help="cold command-line repetitions")
    args = parser.parse_args()
    os.chdir(ROOT)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {load:.2f} at start; python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as tmp:
        w = warm(args.runs, Path(tmp))
    print(f"selection: {w['entries']} entries, 10 source pages, {w['notes']} notes, "
          f"{w['annotations']} annotations -> {w['rendered pages']} PDF pages")
    print(f"warm in-process (median of {args.runs}):  pdf format {w['warm']:.3f} s (min {w['warm min']:.3f})"
          f"   naive weasyprint same HTML {w['naive']:.3f} s (min {w['naive min']:.3f})"
          f"   [first call in process {w['first call']:.3f} s]")
    print(f"  CPU time (median): pdf format {w['warm cpu']:.3f} s   naive weasyprint {w['naive cpu']:.3f} s")
    print(f"  pdf format with its line cache emptied before each render (text new to the process): "
          f"{w['fresh']:.3f} s (min {w['fresh min']:.3f})")
    if args.cold_runs > 0:
        with tempfile.TemporaryDirectory(prefix="bench-pdf-") as tmp:
            c = cold(args.cold_runs, Path(tmp))
        print(f"cold command line (median of {args.cold_runs}; wall / CPU of all processes):")
        for k, v in c.items():
            print(f"  {k}: {v[0]:.3f} s / {v[1]:.3f} s" if isinstance(v, tuple) else f"  {k}: {v}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.2f} at end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
