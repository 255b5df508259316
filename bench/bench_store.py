"""Annotation store benchmark: the W3C protocol over HTTP, and printing with stored annotations.

Run: .venv/bin/python bench/bench_store.py [--creates 300] [--reads 200]

For SQLite (the embedded default) and for PostgreSQL (a throwaway server from
scripts/postgres.sh), in one run, against a real `exporter serve` on 127.0.0.1:

* creating an annotation through HTTP (POST, one client), p50 -- target <= 10 ms;
* reading a container page of 100 annotations (GET ?page=0), p50 -- target <= 20 ms;
* creates per second with 16 clients at once (keep-alive connections of one asyncio client
  process; every answer checked, duplicates and losses counted in the database) -- target >= 300/s;

with `GET /healthz` on the same server as the reference (the HTTP floor).  And in-process, a
PDF print of a 10-page selection carrying 200 stored annotations against the same print with
the same 200 annotations read from files (the reference) -- target at most 10% slower.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402

from support.protocol_server import LD, StoreServer, annotation  # noqa: E402

LAYER = "https://archive.example.org/kd/kd1/kd1-1918-03-06/translation"
QUOTE = "I buy from them"
#: Clients writing at once, and the body text that marks their annotations in the database.
CLIENTS = 16
BURST_TEXT = "bench burst of concurrent creates"
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
    per_client = max(1, creates // CLIENTS)
    burst = json.dumps(annotation(LAYER, QUOTE, BURST_TEXT)).encode()
    cpu = _process_cpu(server)
    wall, locations, errors = asyncio.run(_burst(server, headers, burst, per_client))
    cpu = _process_cpu(server) - cpu
    assert not errors, errors[:5]
    return {"floor_ms": p50(floor), "create_ms": p50(create_t), "page_ms": p50(read_t),
            "creates_per_s": CLIENTS * per_client / wall, "burst_locations": locations,
            "burst_cpu_ms": cpu / (CLIENTS * per_client) * 1000}


def _process_cpu(server: StoreServer) -> float:
    """CPU seconds the server process has used so far (Linux; NaN elsewhere)."""
    assert server.proc is not None
    try:
        fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _burst(server: StoreServer, headers: dict[str, str], body: bytes,
                 per_client: int) -> tuple[float, list[str], list[str]]:
    """``CLIENTS`` clients at once, each on its own keep-alive HTTP/1.1 connection, POSTing
    ``per_client`` creates one after another; every answer must be 201 with a Location.

    The clients are one asyncio task each, writing a prepared request and reading the answer
    by hand: they share the machine with the server, and a full HTTP client per request costs
    about as much CPU as the create itself, which would measure the clients, not the server."""
    host, port = "127.0.0.1", server.port
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (f"POST /annotations/kd1/ HTTP/1.1\r\nHost: {host}:{port}\r\n{head}"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    container = f"{server.url}/annotations/kd1/"
    locations: list[str] = []
    errors: list[str] = []

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for _ in range(per_client):
                writer.write(request)
                status_line, fields = await _response_head(reader)
                await reader.readexactly(int(fields.get("content-length", "0")))
                location = fields.get("location", "")
                if not status_line.startswith("HTTP/1.1 201 ") or not location.startswith(container):
                    errors.append(f"{status_line} Location: {location}")
                else:
                    locations.append(location)
        finally:
            writer.close()
            await writer.wait_closed()

    # Connected before the clock starts: the figure is creates, not TCP handshakes.
    connections = [await asyncio.open_connection(host, port) for _ in range(CLIENTS)]
    start = time.perf_counter()
    await asyncio.gather(*(client(r, w) for r, w in connections))
    return time.perf_counter() - start, locations, errors


async def _response_head(reader: asyncio.StreamReader) -> tuple[str, dict[str, str]]:
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip().lower()] = value.strip()
    return lines[0], fields


def burst_check(store_url: str, locations: list[str]) -> tuple[int, int, int]:
    """From the database after the run: (annotations the burst stored, duplicates: rows beyond
    one per 201 answer, lost: answered Locations with no row)."""
    from exporter.store import Store

    store = Store(store_url)
    try:
        slugs = {a.pk: a.slug for a in store.annotations(["kd1"]) if BURST_TEXT in a.raw}
    finally:
        store.close()
    answered = {loc.rsplit("/", 1)[1] for loc in locations}
    assert len(answered) == len(locations), "two answers named the same Location"
    stored = set(slugs.values())
    return len(slugs), len(slugs) - len(stored & answered), len(answered - stored)


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
                figures["burst_stored"], figures["burst_duplicates"], figures["burst_lost"] = burst_check(
                    server.store_url, figures.pop("burst_locations"))
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
        print(f"{backend}: the 16 clients' creates: {r['burst_stored']} stored, {r['burst_duplicates']} duplicates, "
              f"{r['burst_lost']} lost (counted in the database); server CPU {r['burst_cpu_ms']:.2f} ms per create")
        print(f"{backend}: stored/files print ratio {r['print_store_s'] / r['print_files_s']:.3f} wall, "
              f"{r['print_store_cpu_s'] / r['print_files_cpu_s']:.3f} CPU ({r['print_store_cpu_s']:.3f} vs "
              f"{r['print_files_cpu_s']:.3f} s; {r['annotations']} annotations anchored)")
    print("load average at the end:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    wrong = [b for b in results if results[b]["burst_duplicates"] or results[b]["burst_lost"]]
    if wrong:
        sys.exit(f"concurrent creates stored duplicates or lost annotations on {', '.join(wrong)}")


def _createdb(server: str, url: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"')


if __name__ == "__main__":
    main()
