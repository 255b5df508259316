"""Benchmark: citeproc-py (with the project's compatibility layer and caches) vs citeproc-js.

A 1,000-entry bibliography in the Chicago notes-bibliography style: the FRUS volume's 478
records repeated with distinct ids (and distinct archival ids, so no two are identical).

* cold: a fresh Python process formats the bibliography (interpreter start, imports, style
  parse included), as ``exporter cite`` does, minus loading a corpus; the reference is a fresh
  node process doing the same with citeproc-js (engine build included);
* warm, cached: the same records formatted again in the same process (render cache hits);
* warm, uncached: new records in a process whose style is already parsed.

Usage: .venv/bin/python bench/bench_cite.py [--entries 1000] [--repeat 3] [--style NAME]
Needs node and scripts/citeproc-js/node_modules (``npm ci`` there) for the reference figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRUS = ROOT.parent / "shared" / "corpus" / "frus1918Russiav03.xml"
NODE_DIR = ROOT / "scripts" / "citeproc-js"

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from exporter.citations import processor
from pathlib import Path
records = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
out = processor.format_bibliography(records, Path(sys.argv[2]))
t1 = time.perf_counter()
again = processor.format_bibliography(records, Path(sys.argv[2]))
t2 = time.perf_counter()
print(json.dumps({"entries": sum(1 for o in out if o.ok), "errors": sum(1 for o in out if not o.ok and not o.omitted),
                  "cold_in_process_s": t1 - t0, "warm_cached_ms_per_item": (t2 - t1) * 1000 / len(records),
                  "identical_again": [o.text for o in out] == [o.text for o in again]}))
"""


def make_records(n: int) -> list[dict]:
    from exporter.csl import entry_to_csl
    from exporter.engine import Engine

    base = [entry_to_csl(e) for e in Engine().load(FRUS).entries]
    out = []
    for i in range(n):
        rec = dict(base[i % len(base)])
        rec["id"] = f"{rec['id']}-r{i}"
        rec["archive_location"] = f"{rec.get('archive_location', 'File')} (copy {i // len(base) + 1})"
        out.append(rec)
    return out


def run_python(records_path: Path, style_path: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", CHILD, str(records_path), str(style_path)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return time.perf_counter() - start, json.loads(res.stdout)


def run_node(records_path: Path, style_path: Path, locale: Path) -> tuple[float, dict] | None:
    if not (NODE_DIR / "node_modules" / "citeproc").exists():
        return None
    start = time.perf_counter()
    res = subprocess.run(["node", str(NODE_DIR / "bench_bibliography.js"), str(records_path),
                          str(style_path), str(locale)], capture_output=True, text=True, check=True)
    return time.perf_counter() - start, json.loads(res.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--style", default="chicago-notes-bibliography")
    args = ap.parse_args()

    import citeproc

    from exporter.engine import Engine

    style_path = Engine().plugins.styles.get(args.style).path
    locale = Path(citeproc.LOCALES_PATH) / "locales-en-US.xml"
    records = make_records(args.entries)
    with tempfile.TemporaryDirectory() as tmp:
        records_path = Path(tmp) / "records.json"
        records_path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
        py = [run_python(records_path, style_path) for _ in range(args.repeat)]
        js = [run_node(records_path, style_path, locale) for _ in range(args.repeat)]

        # warm engine, uncached records: parse the style once, then format fresh records
        from exporter.citations import processor

        processor.format_bibliography(records[:5], style_path)
        fresh = [dict(r, id=r["id"] + "-fresh") for r in records[:100]]
        start = time.perf_counter()
        processor.format_bibliography(fresh, style_path)
        warm_uncached = (time.perf_counter() - start) * 1000 / len(fresh)

    py_cold = statistics.median(t for t, _ in py)
    print(f"style {args.style}, {args.entries} entries (FRUS records repeated with distinct ids)")
    print(f"citeproc-py + compat, cold process (wall, median of {args.repeat}): {py_cold:.2f} s "
          f"= {py_cold * 1000 / args.entries:.1f} ms/entry; entries {py[0][1]['entries']}, errors {py[0][1]['errors']}")
    print(f"citeproc-py + compat, warm cached (median): "
          f"{statistics.median(d['warm_cached_ms_per_item'] for _, d in py):.3f} ms/entry; "
          f"identical on repeat: {py[0][1]['identical_again']}")
    print(f"citeproc-py + compat, warm engine, uncached records (100): {warm_uncached:.1f} ms/entry")
    if js[0] is None:
        print("citeproc-js: node_modules missing in scripts/citeproc-js (run npm ci there); no reference")
        return
    js_cold = statistics.median(t for t, _ in js)
    print(f"citeproc-js, cold node process (wall, median of {args.repeat}): {js_cold:.2f} s "
          f"= {js_cold * 1000 / args.entries:.1f} ms/entry (engine build + format "
          f"{statistics.median(d['build_and_format_ms'] for _, d in js):.0f} ms, "
          f"warm re-format {statistics.median(d['warm_ms'] for _, d in js) / args.entries:.2f} ms/entry)")
    print(f"ratio cold python / cold node: {py_cold / js_cold:.1f}x")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
