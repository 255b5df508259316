"""Benchmark: ``exporter cite`` (citeproc-py + the compatibility layer) vs citeproc-js.

A 1,000-entry Chicago notes-bibliography bibliography from a temporary corpus folder: three
copies of the FRUS volume with distinct volume ids (``TEI/@xml:id`` and ``idno type="frus"``
rewritten; in the copies each document's head and source note get " [copy N]", so no record
repeats another's content), the third cut to the documents needed for 1,000 entries.

* cold CLI: a fresh ``exporter cite --corpus DIR --all --style chicago-notes-bibliography
  --mode bibliography`` (interpreter start, imports, corpus loading, style parse, sort, format);
  the reference is a fresh node process formatting the same CSL-JSON records with citeproc-js
  (``require``, engine build, ``updateItems``, ``makeBibliography``), in the same run;
* warm, cached: the same records formatted again in one process (render cache hits);
* warm, new records: records never formatted before, in a process whose style and locale are
  parsed (fresh ids, titles and archival ids, so no rendered item can be served from the cache;
  macro renderings whose fields repeat -- authors, dates, pages -- are shared with earlier runs);
* warm, new records with every rendering cache emptied before each run (only the parsed style and
  locale kept): the figure the target is checked against.

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
FRUS = ROOT / "tests" / "data" / "corpus" / "frus1918Russiav03.xml"
NODE_DIR = ROOT / "scripts" / "citeproc-js"
EXPORTER = Path(sys.executable).with_name("exporter")
TEI = "http://www.tei-c.org/ns/1.0"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def make_corpus(folder: Path, n: int) -> None:
    """Copies of the FRUS volume with distinct volume ids, ``n`` documents in all."""
    from lxml import etree

    folder.mkdir(parents=True, exist_ok=True)
    left, copy = n, 0
    while left > 0:
        copy += 1
        tree = etree.parse(str(FRUS))
        root = tree.getroot()
        vol_id = f"{root.get(XML_ID)}c{copy}"
        root.set(XML_ID, vol_id)
        for idno in root.iter(f"{{{TEI}}}idno"):
            if idno.get("type") == "frus":
                idno.text = vol_id
        docs = [d for d in root.iter(f"{{{TEI}}}div") if d.get("type") == "document"]
        for doc in docs[left:]:
            doc.getparent().remove(doc)
        if copy > 1:  # distinct titles and archival ids: no record repeats another's content
            for doc in docs[:left]:
                for element in (doc.find(f"{{{TEI}}}head"), doc.find(f"{{{TEI}}}note")):
                    if element is None:
                        continue
                    if len(element):
                        element[-1].tail = (element[-1].tail or "") + f" [copy {copy}]"
                    else:
                        element.text = (element.text or "") + f" [copy {copy}]"
        left -= min(left, len(docs))
        tree.write(str(folder / f"{vol_id}.xml"), encoding="UTF-8", xml_declaration=True)


def cli_cold(corpus: Path, style: str) -> tuple[float, int]:
    start = time.perf_counter()
    res = subprocess.run([str(EXPORTER), "cite", "--corpus", str(corpus), "--all", "--style", style,
                          "--mode", "bibliography"], capture_output=True, text=True, check=True, cwd=ROOT)
    return time.perf_counter() - start, sum(1 for line in res.stdout.splitlines() if line.strip())


def node_cold(records_path: Path, style_path: Path, locale: Path) -> tuple[float, dict] | None:
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

    from exporter.csl import entry_to_csl
    from exporter.engine import Engine

    engine = Engine()
    style_path = engine.plugins.styles.get(args.style).path
    locale = Path(citeproc.LOCALES_PATH) / "locales-en-US.xml"
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        make_corpus(corpus, args.entries)
        records = [entry_to_csl(e) for e in engine.load(corpus).entries]
        records_path = Path(tmp) / "records.json"
        records_path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
        py, js = [], []
        for _ in range(args.repeat):  # interleaved, so both see the same machine load
            py.append(cli_cold(corpus, args.style))
            js.append(node_cold(records_path, style_path, locale))

    from exporter.citations import processor

    processor.format_bibliography(records[:5], style_path)  # parse style and locale
    runs = []
    for k in range(args.repeat):
        # new content (title, archival id) as well as new ids; authors and dates repeat
        fresh = [dict(r, id=f"{r['id']}-new{k}", title=f"{r.get('title', '')} [new {k}]",
                      archive_location=f"{r.get('archive_location', 'File')} [new {k}]") for r in records[:200]]
        start = time.perf_counter()
        processor.format_bibliography(fresh, style_path)
        runs.append((time.perf_counter() - start) * 1000 / len(fresh))
    warm_new = statistics.median(runs)
    # The target figure: every rendering cache emptied before each run (only the parsed style and
    # locale are kept), so nothing rendered for an earlier run is reused.
    strict = []
    for k in range(args.repeat):
        fresh = [dict(r, id=f"{r['id']}-strict{k}", title=f"{r.get('title', '')} [strict {k}]",
                      archive_location=f"{r.get('archive_location', 'File')} [strict {k}]")
                 for r in records[200:400]]
        processor.clear_caches()
        start = time.perf_counter()
        processor.format_bibliography(fresh, style_path)
        strict.append((time.perf_counter() - start) * 1000 / len(fresh))
    warm_strict = statistics.median(strict)
    processor.format_bibliography(records, style_path)
    start = time.perf_counter()
    processor.format_bibliography(records, style_path)
    warm_cached = (time.perf_counter() - start) * 1000 / len(records)

    py_cold = statistics.median(t for t, _ in py)
    print(f"style {args.style}, corpus of {len(records)} entries (FRUS volume copied with distinct volume ids)")
    print(f"exporter cite, cold CLI (wall, median of {args.repeat}): {py_cold:.2f} s "
          f"= {py_cold * 1000 / len(records):.1f} ms/entry; lines printed {py[0][1]}; "
          f"all runs {', '.join(f'{t:.2f}' for t, _ in py)} s")
    print(f"warm, new records (200, median of {args.repeat}): {warm_new:.2f} ms/entry; "
          f"runs {', '.join(f'{r:.2f}' for r in runs)}")
    print(f"warm, new records, every rendering cache emptied first (200, median of {args.repeat}): "
          f"{warm_strict:.2f} ms/entry; runs {', '.join(f'{r:.2f}' for r in strict)}")
    print(f"warm, cached (same {len(records)} records again): {warm_cached:.3f} ms/entry")
    if js[0] is None:
        print("citeproc-js: node_modules missing in scripts/citeproc-js (run npm ci there); no reference")
        return
    js_cold = statistics.median(t for t, _ in js)
    print(f"citeproc-js, cold node (wall, median of {args.repeat}): {js_cold:.2f} s "
          f"= {js_cold * 1000 / len(records):.1f} ms/entry; entries {js[0][1]['entries']}; "
          f"all runs {', '.join(f'{t:.2f}' for t, _ in js)} s (engine build + format "
          f"{statistics.median(d['build_and_format_ms'] for _, d in js):.0f} ms, warm re-format "
          f"{statistics.median(d['warm_ms'] for _, d in js) / len(records):.2f} ms/entry)")
    print(f"ratio cold exporter cite / cold citeproc-js: {py_cold / js_cold:.2f}x")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
