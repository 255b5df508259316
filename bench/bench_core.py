"""Core benchmark: start-up of `exporter formats` / `exporter toc`, and loading the FRUS volume.

Run: .venv/bin/python bench/bench_core.py [--runs N]

Targets (issue 2): formats and toc start in <= 0.25 s on 2 cores and import no renderer;
loading the FRUS volume (2.2 MB) <= 0.5 s.  The reference in the same run is a bare
`python -c pass` start-up, the floor any command pays.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRUS = ROOT / "tests" / "data" / "corpus" / "frus1918Russiav03.xml"
EXPORTER = Path(sys.executable).parent / "exporter"
HEAVY = ("weasyprint", "docx", "pypdf", "citeproc", "ebooklib", "jinja2")


def wall(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def heavy_imports(args: list[str]) -> list[str]:
    r = subprocess.run([sys.executable, "-X", "importtime", str(EXPORTER), *args],
                       capture_output=True, text=True, check=True)
    mods = {line.split("|")[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")}
    return sorted(m for m in mods if m.split(".")[0] in HEAVY)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=11)
    runs = ap.parse_args().runs
    floor = wall([sys.executable, "-c", "pass"], runs)
    formats = wall([str(EXPORTER), "formats"], runs)
    toc = wall([str(EXPORTER), "toc"], runs)
    toc_frus = wall([str(EXPORTER), "toc", "--corpus", str(FRUS)], runs)
    sys.path.insert(0, str(ROOT / "src"))
    from exporter.plugins import load_plugins
    from exporter.sources.corpus import load_corpus

    sources = load_plugins().sources
    loads = []
    for _ in range(runs):
        t = time.perf_counter()
        load_corpus(FRUS, sources)
        loads.append(time.perf_counter() - t)
    print(f"runs per figure: {runs} (medians)")
    print(f"python -c pass (floor)         {floor:.3f} s")
    print(f"exporter formats               {formats:.3f} s   target <= 0.25 s")
    print(f"exporter toc (sample)          {toc:.3f} s   target <= 0.25 s")
    print(f"exporter toc --corpus FRUS     {toc_frus:.3f} s")
    print(f"load FRUS in-process           {statistics.median(loads):.3f} s   target <= 0.5 s")
    print(f"renderers imported by formats: {heavy_imports(['formats']) or 'none'}")
    print(f"renderers imported by toc:     {heavy_imports(['toc']) or 'none'}")


if __name__ == "__main__":
    main()
