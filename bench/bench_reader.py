"""Benchmark the reader's page: what a reader waits for when opening a page, against the JSON API
that serves the same entry, measured in the same run on the same ``exporter serve``.

* ``GET /entries/{id}`` (an entry page: assembly, visible annotations, template) against
  ``GET /v1/entries/{id}`` (the same assembly written by the ``json`` format);
* ``GET /`` (the table of contents) against ``GET /v1/volumes/{volume}/entries``.

Both on the bundled sample and on the FRUS volume (``tests/data``). Medians of ``--runs``
sequential requests over one kept-alive connection, after a warm-up.

Usage::

    .venv/bin/python bench/bench_reader.py [--runs 50]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
FRUS = ROOT / "tests" / "data" / "corpus" / "frus1918Russiav03.xml"
EXPORTER = Path(sys.executable).parent / "exporter"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(folder: Path, corpus: Path | None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    config = folder / "service.toml"
    config.write_text(f'[corpus]\npath = "{corpus or ""}"\n[service]\nstate_dir = "{folder / "state"}"\n'
                      '[jobs]\nworkers = 1\n')
    proc = subprocess.Popen([str(EXPORTER), "serve", "--config", str(config), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 180
    while time.monotonic() < end:
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("exporter serve did not start")


def median_ms(client: httpx.Client, path: str, runs: int) -> float:
    for _ in range(3):
        assert client.get(path).status_code == 200, path
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        r = client.get(path)
        times.append(time.perf_counter() - t)
        assert r.status_code == 200
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    for name, corpus, entry, volume in (("sample", None, "kd1-1918-03-06", "kd1"),
                                        ("FRUS", FRUS, "d2", None)):
        with tempfile.TemporaryDirectory() as tmp:
            proc, url = serve(Path(tmp), corpus)
            try:
                with httpx.Client(base_url=url, timeout=60) as c:
                    volume = volume or c.get("/v1/volumes").json()[0]["id"]
                    page = median_ms(c, f"/entries/{entry}", args.runs)
                    api = median_ms(c, f"/v1/entries/{entry}", args.runs)
                    toc = median_ms(c, "/", args.runs)
                    rows = median_ms(c, f"/v1/volumes/{volume}/entries", args.runs)
            finally:
                proc.terminate()
                proc.wait(60)
        print(f"{name}: entry page {page:.1f} ms vs GET /v1/entries {api:.1f} ms ({page / api:.2f}x); "
              f"TOC {toc:.1f} ms vs GET /v1/volumes/{volume}/entries {rows:.1f} ms ({toc / rows:.2f}x)")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
