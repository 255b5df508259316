"""A/B benchmark of the ``pdf`` format's warm render: this checkout against another revision.

The benchmark selection of ``bench_pdf.py`` (ten source pages, five entries, their notes and
Irina's visible annotations) is rendered warm, again and again, by two worker processes of the
same interpreter: one imports the project from this checkout's ``src``, the other from
``git archive REV src`` unpacked in a temporary folder.  Their renders take turns (A, B, A, B,
...), so that other work on a shared machine falls on both alike, and each reports the CPU time
(``time.process_time``) of its render.  The two PDFs, with a fixed export time, are compared
byte for byte.

Run: ``.venv/bin/python bench/bench_pdf_ab.py [--base REV] [--runs N]`` (default: ``main``, 31).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: One worker: renders the selection once per line read and answers with the CPU time (the first
#: render, which fills the caches, answers "ready" and the PDF's path).
WORKER = r"""
import io, sys, time
from datetime import datetime, timezone
from exporter.engine import Engine, ExportRequest
from exporter.formats import pdf

engine = Engine()
request = ExportRequest(format="pdf", range="kd1-1918-03-03a..kd1-1918-03-14", pages="20-29",
                        layer="translation", user="irina", annotations="visible", accept_terms=True)
doc = engine.assemble(request, engine.plugins.formats.get("pdf"))
doc.exported_at = datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)
pdf.render(doc, io.BytesIO())
out = io.BytesIO()
pdf.render(doc, out)
with open(sys.argv[1], "wb") as f:
    f.write(out.getvalue())
print("ready", flush=True)
for _ in sys.stdin:
    c = time.process_time()
    pdf.render(doc, io.BytesIO())
    print(time.process_time() - c, flush=True)
"""


def _worker(src: Path, pdf_path: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(src))
    process = subprocess.Popen([sys.executable, "-c", WORKER, str(pdf_path)], env=env, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        raise SystemExit(f"worker for {src} did not start")
    return process


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="git revision to compare against (default main)")
    parser.add_argument("--runs", type=int, default=31, help="renders by each side, taking turns")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {load:.2f} at start; python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="bench-pdf-ab-") as tmp:
        base_dir = Path(tmp) / "base"
        archive = subprocess.run(["git", "archive", args.base, "src"], cwd=ROOT, check=True,
                                 capture_output=True).stdout
        base_dir.mkdir()
        tar_path = Path(tmp) / "base.tar"
        tar_path.write_bytes(archive)
        with tarfile.open(tar_path) as tar:
            tar.extractall(base_dir, filter="data")
        sides = {args.base: _worker(base_dir / "src", Path(tmp) / "base.pdf"),
                 "this checkout": _worker(ROOT / "src", Path(tmp) / "ours.pdf")}
        times: dict[str, list[float]] = {name: [] for name in sides}
        try:
            for _ in range(args.runs):
                for name, process in sides.items():
                    assert process.stdin is not None and process.stdout is not None
                    process.stdin.write("\n")
                    process.stdin.flush()
                    times[name].append(float(process.stdout.readline()))
        finally:
            for process in sides.values():
                assert process.stdin is not None
                process.stdin.close()
                process.wait(timeout=60)
        same = (Path(tmp) / "base.pdf").read_bytes() == (Path(tmp) / "ours.pdf").read_bytes()
    base, ours = (statistics.median(t) for t in times.values())
    print(f"warm render CPU, median of {args.runs} taking turns: {args.base} {base:.3f} s "
          f"(min {min(times[args.base]):.3f}), this checkout {ours:.3f} s (min {min(times['this checkout']):.3f}); "
          f"change {100 * (ours / base - 1):+.1f} %")
    print(f"PDFs byte for byte the same: {'yes' if same else 'NO'}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.2f} at end")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
