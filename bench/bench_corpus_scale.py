"""Large-corpus benchmark: the corpus index, then `toc`, a 10-page print and an RIS export of one volume.

Run: .venv/bin/python bench/bench_corpus_scale.py [--copies 1046] [--keep DIR]

Builds a corpus folder of N copies of the FRUS volume (478 entries each, each copy with its own
volume id; 1,046 copies make the issue's 500,000 entries), then, with an empty index folder:
builds the corpus index (the first command on the corpus: ``toc --volume`` of one volume), and
runs ``toc --volume`` (one volume), ``toc`` (the whole corpus, streamed), a 10-page print (PDF:
entries d1..d13 of one volume, source pages 1-10) and an RIS export of one volume, each once
under ``/usr/bin/time -v``: its peak resident set size, its start-up (time to its first line of
output) and its wall time; then the time until the print's and the RIS export's entries are built
in a fresh interpreter (what an export does before it renders).  The reference in the same run is
the same commands on the single FRUS volume.  Target (issue 21): each under 500 MB RSS and
starting in under 2 s at 500,000 entries.  The load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRUS = ROOT / "tests" / "data" / "corpus" / "frus1918Russiav03.xml"
EXPORTER = Path(sys.executable).parent / "exporter"


def build(folder: Path, copies: int) -> None:
    src = FRUS.read_bytes()
    for i in range(copies):
        data = src.replace(b'xml:id="frus1918Russiav03"', f'xml:id="frus1918Russiav03-{i:04d}"'.encode(), 1)
        data = data.replace(b'<idno type="frus">frus1918Russiav03</idno>',
                            f'<idno type="frus">frus1918Russiav03-{i:04d}</idno>'.encode())
        (folder / f"frus-{i:04d}.xml").write_bytes(data)


def measure(args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(peak RSS in MB, start-up seconds to the first line of output, wall seconds) of one run."""
    t = time.perf_counter()
    proc = subprocess.Popen(["/usr/bin/time", "-v", str(EXPORTER), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    first = time.perf_counter() - t
    for _ in iter(lambda: proc.stdout.read(1 << 16), b""):
        pass
    err = proc.stderr.read().decode()
    proc.wait()
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        tail = [line for line in err.splitlines() if line.startswith("exporter")]
        raise SystemExit(f"exporter {' '.join(args)} failed: {tail[-1] if tail else err[-500:]}")
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
    return kb / 1024, first, wall


_READY = """
import sys, time
t = time.perf_counter()
from exporter.engine import Engine, ExportRequest
engine = Engine()
corpus = engine.load(sys.argv[1])
chosen = engine.resolve(corpus, ExportRequest(format="ris", **{sys.argv[2]: sys.argv[3]}))
print(f"{time.perf_counter() - t:.3f} {len(chosen)}")
"""


def ready(corpus: Path, kind: str, value: str, env: dict[str, str]) -> float:
    """Seconds from a fresh interpreter to the corpus loaded and the selection's entries built
    (what an export does before it renders)."""
    out = subprocess.run([sys.executable, "-c", _READY, str(corpus), kind, value], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    return float(out[0])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=1046)
    ap.add_argument("--keep", help="build the corpus here and keep it (and reuse it when already built)")
    args = ap.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="exporter-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    index = Path(tempfile.mkdtemp(prefix="exporter-scale-index-"))
    env = {**os.environ, "EXPORTER_INDEX_DIR": str(index), "EXPORTER_CORPUS_INDEX": "auto"}
    try:
        if len(list(folder.glob("frus-*.xml"))) != args.copies:
            for old in folder.glob("frus-*.xml"):
                old.unlink()
            build(folder, args.copies)
        out = Path(tempfile.mkdtemp(prefix="exporter-scale-out-"))
        first = "frus1918Russiav03-0000"
        middle = f"frus1918Russiav03-{args.copies // 2:04d}"
        cases = {
            "toc --volume (one)": ["toc", "--volume", middle],
            "toc (whole corpus)": ["toc"],
            "10-page print (pdf)": ["export", "--range", f"{middle}:d1..{middle}:d13", "--pages", "1-10",
                                    "--format", "pdf", "--accept-terms", "--output", str(out / "print.pdf")],
            "RIS of one volume": ["export", "--range", f"{middle}:d1..{middle}:d478", "--format", "ris",
                                  "--output", str(out / "vol.ris")],
        }
        single = {"toc --volume (one)": ["toc", "--volume", "frus1918Russiav03"], "toc (whole corpus)": ["toc"],
                  "10-page print (pdf)": ["export", "--range", "d1..d13", "--pages", "1-10", "--format", "pdf",
                                          "--accept-terms", "--output", str(out / "p1.pdf")],
                  "RIS of one volume": ["export", "--all", "--format", "ris", "--output", str(out / "v1.ris")]}
        print(f"corpus: {args.copies} copies of FRUS = {args.copies * 478} entries; "
              f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        t = time.perf_counter()
        rss, _, wall = measure(["toc", "--corpus", str(folder), "--volume", first], env)
        size = sum(f.stat().st_size for f in index.iterdir()) / 1e6
        print(f"index build (first command, cold): {wall:.0f} s, peak RSS {rss:.0f} MB, index {size:.0f} MB")
        print(f"{'command':<22} {'peak RSS':>10} {'start-up':>9} {'wall':>8}   reference: one FRUS volume "
              f"(RSS, start-up, wall)")
        for name, argv in cases.items():
            rss, start, wall = measure([argv[0], "--corpus", str(folder), *argv[1:]], env)
            rss1, start1, wall1 = measure([single[name][0], "--corpus", str(FRUS), *single[name][1:]], env)
            print(f"{name:<22} {rss:8.0f} MB {start:8.2f} s {wall:7.2f} s   {rss1:.0f} MB, {start1:.2f} s, "
                  f"{wall1:.2f} s")
        for kind, value, value1 in (("range", f"{middle}:d1..{middle}:d13", "d1..d13"),  # the print
                                    ("range", f"{middle}:d1..{middle}:d478", "d1..d478")):  # RIS
            big, one = ready(folder, kind, value, env), ready(FRUS, kind, value1, env)
            print(f"ready to render (--{kind} of one volume: corpus loaded, entries built): {big:.2f} s; "
                  f"reference one FRUS volume {one:.2f} s")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
              f"total {time.perf_counter() - t:.0f} s")
        shutil.rmtree(out, ignore_errors=True)
    finally:
        shutil.rmtree(index, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
