"""Annotation store benchmark: the W3C protocol over HTTP, and printing with stored annotations.

Run: .venv/bin/python bench/bench_store.py [--creates 300] [--reads 200]

For SQLite (the embedded default) and for PostgreSQL (a throwaway server from
scripts/postgres.sh), in one run, against a real `exporter serve` on 127.0.0.1:

* creating an annotation through HTTP (POST, one client), p50 -- target <= 10 ms;
* reading a container page of 100 annotations (GET ?page=0), p50 -- target <= 20 ms;
* creates per second with 16 clients at once -- target >= 300/s;

with `GET /healthz` on the same server as the reference (the HTTP floor).  And in-process, a
PDF print of a 10-page selection carrying 200 stored annotations against the same print with
the same 200 annotations read from files (the reference) -- target at most 10% slower.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402

from support.protocol_server import LD, StoreServer, annotation  # noqa: E402

LAYER = "https://archive.example.org/kd/kd1/kd1-1918-03-06/translation"
QUOTE = "I buy from them"
SELECTION = dict(range="kd1-1918-02-22..kd1-1918-03-03b", layer="translation")


def p50(values: list[float]) -> float:
    return statistics.median(values) * 1000


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def http_figures(server: StoreServer, creates: int, reads: int) -> dict[str, float]:
    headers = server.headers("tomas", content_type=LD)
    body = json.dumps(annotation(LAYER, QUOTE, "bench"))
    with httpx.Client(base_url=server.url, timeout=60) as c:
        for _ in range(20):  # warm: connections, caches
            c.get("/healthz")
            c.post("/annotations/kd1/", content=body, headers=headers)
        floor = timed(lambda: c.get("/healthz"), reads)

        def create():
            r = c.post("/annotations/kd1/", content=body, headers=headers)
            assert r.status_code == 201, r.text

        create_t = timed(create, creates)
        c.get("/annotations/kd1/?page=0", headers=headers)

        def read():
            r = c.get("/annotations/kd1/?page=0", headers=headers)
            assert r.status_code == 200 and len(r.json()["items"]) == 100

        read_t = timed(read, reads)
    per_client = max(1, creates // 16)
    errors = []

    def client(_n: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as cc:
            for _ in range(per_client):
                r = cc.post("/annotations/kd1/", content=body, headers=headers)
                if r.status_code != 201:
                    errors.append(r.status_code)

    start = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(client, range(16)))
    wall = time.perf_counter() - start
    assert not errors, errors
    return {"floor_ms": p50(floor), "create_ms": p50(create_t), "page_ms": p50(read_t),
            "creates_per_s": 16 * per_client / wall}


def print_figures(store_url: str, folder: Path, runs: int) -> dict[str, float]:
    """PDF of the 10-page selection with 200 annotations: from files, then from the store."""
    from exporter.engine import Engine, ExportRequest
    from exporter.store import Store

    corpus = folder / "corpus"
    corpus.mkdir()
    from exporter.sources.corpus import default_corpus

    shutil.copy(default_corpus() / "dolgorukov-diaries-1918.xml", corpus)
    shutil.copy(default_corpus() / "archive.json", corpus)
    base = Engine().load(corpus)
    entries = [e for e in base.entries if base.get("kd1-1918-02-22").order <= e.order <= base.get("kd1-1918-03-03b").order]
    items, n = [], 0
    while len(items) < 200:
        for e in entries:
            text = e.layers["translation"].text
            start = (n * 37) % max(1, len(text) - 40)
            exact = text[start:start + 24]
            if "\n" in exact or not exact.strip():
                n += 1
                continue
            items.append({"@context": ["http://www.w3.org/ns/anno.jsonld"], "id": f"urn:bench:{len(items)}",
                          "type": "Annotation", "creator": {"nickname": "irina", "name": "Irina Sokolova"},
                          "body": {"type": "TextualBody", "value": f"bench note {len(items)}"},
                          "target": {"source": e.layer_iri("translation"), "selector": [
                              {"type": "TextQuoteSelector", "exact": exact, "prefix": text[max(0, start - 32):start],
                               "suffix": text[start + 24:start + 56]},
                              {"type": "TextPositionSelector", "start": start, "end": start + 24}]},
                          "visibility": "public"})
            n += 1
            if len(items) == 200:
                break
    (corpus / "annotations").mkdir()
    (corpus / "annotations" / "bench.jsonld").write_text(json.dumps(items), encoding="utf-8")
    store = Store(store_url)
    store.init()
    store.import_corpus(corpus)
    request = ExportRequest(format="pdf", corpus=str(corpus), user="irina", accept_terms=True, **SELECTION)
    files, stored = Engine(), Engine(store=store)
    counts = []
    for engine in (files, stored):  # warm both (fonts, imports, the corpus)
        counts.append(engine.export(request, folder / "warm.pdf").annotations)
    assert counts[0] == counts[1] >= 190, counts
    times: dict[str, list[float]] = {"files": [], "store": []}
    cpu: dict[str, list[float]] = {"files": [], "store": []}
    pair = [("files", files), ("store", stored)]
    for n in range(runs):  # interleaved, so that a change in the machine's speed hits both,
        for name, engine in (pair if n % 2 == 0 else pair[::-1]):  # and each goes first in turn
            t, c = time.perf_counter(), time.process_time()
            engine.export(request, folder / f"{name}.pdf")
            times[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
    store.close()
    # CPU seconds too: on a shared machine the wall clock of two prints differs by the load.
    return {"print_files_s": statistics.median(times["files"]), "print_store_s": statistics.median(times["store"]),
            "print_files_cpu_s": statistics.median(cpu["files"]), "print_store_cpu_s": statistics.median(cpu["store"]),
            "annotations": counts[0]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--creates", type=int, default=320)
    ap.add_argument("--reads", type=int, default=200)
    ap.add_argument("--print-runs", type=int, default=7)
    args = ap.parse_args()
    results = {}
    print("load average at the start:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    pg_dir = tempfile.mkdtemp(prefix="exporter-bench-pg-")
    try:
        started = subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), "start", pg_dir],
                                 capture_output=True, text=True, check=True)
        pg = started.stdout.strip().splitlines()[-1]
        for backend in ("sqlite", "postgresql"):
            with tempfile.TemporaryDirectory(prefix=f"exporter-bench-{backend}-") as tmp:
                folder = Path(tmp)
                url = pg.rsplit("/", 1)[0] + f"/bench_{backend}_http" if backend == "postgresql" else None
                if url:
                    _createdb(pg, url)
                server = StoreServer(folder / "serve", url, workers=1).start()
                try:
                    figures = http_figures(server, args.creates, args.reads)
                finally:
                    server.stop()
                print_url = (pg.rsplit("/", 1)[0] + "/bench_print" if backend == "postgresql"
                             else f"sqlite:///{folder / 'print.sqlite'}")
                if backend == "postgresql":
                    _createdb(pg, print_url)
                figures.update(print_figures(print_url, folder, args.print_runs))
                results[backend] = figures
    finally:
        subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), "stop", pg_dir], capture_output=True)
        shutil.rmtree(pg_dir, ignore_errors=True)
    print(f"{'measure':<44} {'sqlite':>10} {'postgresql':>11}  target")
    rows = [("GET /healthz p50 (reference), ms", "floor_ms", ""),
            ("POST an annotation p50, ms", "create_ms", "<= 10"),
            ("GET a page of 100 annotations p50, ms", "page_ms", "<= 20"),
            ("creates/s, 16 clients", "creates_per_s", ">= 300"),
            ("PDF, 10 pages, 200 file annotations (ref), s", "print_files_s", ""),
            ("PDF, 10 pages, 200 stored annotations, s", "print_store_s", "<= 1.10x files")]
    for label, key, target in rows:
        print(f"{label:<44} {results['sqlite'][key]:>10.3f} {results['postgresql'][key]:>11.3f}  {target}")
    for backend in ("sqlite", "postgresql"):
        r = results[backend]
        print(f"{backend}: stored/files print ratio {r['print_store_s'] / r['print_files_s']:.3f} wall, "
              f"{r['print_store_cpu_s'] / r['print_files_cpu_s']:.3f} CPU ({r['print_store_cpu_s']:.3f} vs "
              f"{r['print_files_cpu_s']:.3f} s; {r['annotations']} annotations anchored)")
    print("load average at the end:", " ".join(f"{x:.2f}" for x in os.getloadavg()))


def _createdb(server: str, url: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"')


if __name__ == "__main__":
    main()
