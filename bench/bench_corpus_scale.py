"""Large-corpus benchmark: peak RSS and time of `toc`, a 10-page print and an RIS export of one volume.

Run: .venv/bin/python bench/bench_corpus_scale.py [--copies 21] [--keep DIR]

Builds a corpus folder of N copies of the FRUS volume (478 entries each, each copy with its own
volume id; 1,046 copies make the issue's 500,000 entries), then runs each command once under
``/usr/bin/time -v`` and reports its peak resident set size and wall time.  The reference in the
same run is the same commands on the single FRUS volume.  Target (issue 21): each under 500 MB
RSS and starting in under 2 s at 500,000 entries.
"""

from __future__ import annotations

import argparse
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


def measure(args: list[str]) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of one run of the console script."""
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-v", str(EXPORTER), *args], capture_output=True, text=True)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"exporter {' '.join(args)} failed: {r.stderr.strip().splitlines()[-1]}")
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1))
    return kb / 1024, wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=21)
    ap.add_argument("--keep", help="build the corpus here and keep it")
    args = ap.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="exporter-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        build(folder, args.copies)
        out = folder.parent / "scale-out"
        out.mkdir(exist_ok=True)
        first = "frus1918Russiav03-0000"
        cases = {
            "toc": ["toc"],
            "10-page print (pdf)": ["export", "--entries", f"{first}:d1,{first}:d2,{first}:d3", "--format", "pdf",
                                    "--accept-terms", "--output", str(out / "print.pdf")],
            "RIS of one volume": ["export", "--range", f"{first}:d1..{first}:d478", "--format", "ris",
                                  "--output", str(out / "vol.ris")],
        }
        single = {"toc": ["toc"], "10-page print (pdf)": ["export", "--entries", "d1,d2,d3", "--format", "pdf",
                                                           "--accept-terms", "--output", str(out / "p1.pdf")],
                  "RIS of one volume": ["export", "--all", "--format", "ris", "--output", str(out / "v1.ris")]}
        print(f"corpus: {args.copies} copies of FRUS = {args.copies * 478} entries")
        print(f"{'command':<22} {'peak RSS':>10} {'wall':>8}   reference: one FRUS volume")
        for name, argv in cases.items():
            rss, wall = measure([argv[0], "--corpus", str(folder), *argv[1:]])
            rss1, wall1 = measure([single[name][0], "--corpus", str(FRUS), *single[name][1:]])
            print(f"{name:<22} {rss:8.0f} MB {wall:7.2f} s   {rss1:.0f} MB, {wall1:.2f} s")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
