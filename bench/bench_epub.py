"""Benchmark of the third-party ``epub`` format and of plugin loading.

Prints medians of repeated in-process exports (corpus already loaded) for ``epub`` and, as the
reference measured in the same run, the built-in ``html`` format over the same selection; then
the start-up of ``exporter formats`` with the installed plugins and with third-party plugins
switched off (``EXPORTER_PLUGINS=``).

    .venv/bin/python bench/bench_epub.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from exporter.engine import Engine, ExportRequest

ROOT = Path(__file__).resolve().parents[1]
FRUS = ROOT / "tests" / "data" / "corpus" / "frus1918Russiav03.xml"
CASES = [
    ("sample, 2 entries, both layers", dict(range="kd1-1918-01-03..kd1-1918-01-08", user="irina")),
    ("FRUS, 10 documents", dict(range="d1..d10", corpus=str(FRUS))),
]


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    engine = Engine()
    out = Path(tempfile.mkdtemp()) / "bench.out"
    print(f"median of {args.repeat} runs, corpus loaded once")
    for label, sel in CASES:
        for fmt in ("epub", "html"):
            request = ExportRequest(format=fmt, accept_terms=True, **sel)
            engine.export(request, out)  # warm-up: lazy imports
            ms = median_ms(lambda request=request: engine.export(request, out), args.repeat)
            print(f"  {label:<32} {fmt:<5} {ms:8.1f} ms  ({out.stat().st_size} bytes)")
    exe = str(Path(sys.executable).parent / "exporter")
    for label, extra in (("installed plugins", {}), ("EXPORTER_PLUGINS= (reference)", {"EXPORTER_PLUGINS": ""})):
        env = {**os.environ, **extra}
        ms = median_ms(lambda env=env: subprocess.run([exe, "formats"], env=env, capture_output=True, check=True),
                       args.repeat)
        print(f"  exporter formats, {label:<32} {ms:8.1f} ms")


if __name__ == "__main__":
    main()
