"""Benchmark of ``exporter serve`` against a kept-alive headless Chromium, in one run.

* **Latency** -- the ten-page print of ``bench_pdf.py`` (March, translation pages 20-29, Irina's
  visible annotations) as ``POST /v1/exports`` with ``Prefer: wait`` (200 with the PDF), one at a
  time, against Chromium printing the project's own ``html`` export of the same selection over
  the DevTools protocol with a fresh tab per job (``Target.createTarget``, ``Page.navigate``,
  ``Page.printToPDF``, ``Target.closeTarget``), as Chromium-based render services do.  The two
  take turns so both see the same machine load; p50 and p95.  First with ``--settle`` seconds
  (0.2) of untimed rest after each print, then back to back.  Chromium goes on closing the tab
  after ``Target.closeTarget`` has answered (its CPU in the next 0.15 s is printed too), and
  back to back that work runs on the 2 cores while the next print of the service is timed; the
  rest keeps each print's trailing work out of the other's time.  Last, each back to back with
  itself: runs of ``--block`` (5) prints of one, then of the other, with the rest between runs,
  so that a print follows its own system's previous one (one reader printing again and again).
* **Throughput** -- 16 concurrent clients, the same print; Chromium allowed 6 tabs at once.
  Prints per second and errors.
* **Memory** -- one worker's resident memory (from ``/metrics``) after 10 prints and after
  ``--memory-prints`` (1,000) prints, with recycling switched off for the run.
* **Citations** -- ``GET /v1/citations`` for a 100-entry Chicago bibliography of the FRUS volume
  against citeproc-js kept warm in node on the same CSL-JSON records (the engine built once; per
  request ``updateItems`` + ``makeBibliography``, timed round trip over a pipe).

Needs ``bash scripts/setup-bench.sh`` (Debian's chromium, node with citeproc-js, a WebSocket
client).  Run: ``.venv/bin/python bench/bench_service.py [--runs 30] [--jobs 48]
[--memory-prints 1000] [--settle 0.2]``.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FRUS = ROOT / "tests" / "data" / "corpus" / "frus1918Russiav03.xml"
SELECTION = ["--range", "kd1-1918-03-03a..kd1-1918-03-14", "--pages", "20-29", "--layer", "translation",
             "--user", "irina", "--annotations", "visible"]
BODY = {"format": "pdf", "range": "kd1-1918-03-03a..kd1-1918-03-14", "pages": "20-29", "layer": "translation",
        "annotations": "visible", "accept_terms": True}
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


# -- our service ------------------------------------------------------------------------------

class Service:
    def __init__(self, tmp: Path, workers: int, extra: str = "", corpus: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cfg = tmp / f"service-{self.port}.toml"
        cfg.write_text(f'[service]\nstate_dir = "{tmp / f"state-{self.port}"}"\n'
                       f'[corpus]\npath = "{corpus or ""}"\n'
                       f'[jobs]\nworkers = {workers}\nqueue_size = 64\n{extra}\n')
        self.config = cfg
        self.proc = subprocess.Popen([str(BIN / "exporter"), "serve", "--config", str(cfg), "--port", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=open(tmp / f"serve-{self.port}.log", "wb"),
                                     start_new_session=True)
        end = time.monotonic() + 180
        while time.monotonic() < end:
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            self.stop()
            raise SystemExit("exporter serve did not become ready")
        token = subprocess.run([str(BIN / "exporter"), "token", "--config", str(cfg), "--user", "irina"],
                               capture_output=True, text=True, check=True).stdout.strip()
        self.headers = {"Authorization": f"Bearer {token}", "Prefer": "wait=120"}
        self.local = threading.local()

    def client(self) -> httpx.Client:
        c = getattr(self.local, "client", None)
        if c is None:
            c = self.local.client = httpx.Client(base_url=self.url, timeout=180)
        return c

    def print_(self) -> bytes:
        r = self.client().post("/v1/exports", json=BODY, headers=self.headers)
        if r.status_code != 200 or not r.content.startswith(b"%PDF-"):
            raise RuntimeError(f"{r.status_code}: {r.text[:200]}")
        return r.content

    def rss(self) -> dict[str, float]:
        out = {}
        for line in httpx.get(self.url + "/metrics").text.splitlines():
            if line.startswith("exporter_worker_rss_bytes{"):
                out[line.split('"')[1]] = float(line.split()[-1])
        return out

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


# -- kept-alive Chromium over the DevTools protocol -------------------------------------------

class Chromium:
    def __init__(self, tmp: Path) -> None:
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if not exe:
            raise SystemExit("chromium is not installed: bash scripts/setup-bench.sh")
        self.profile = Path(tempfile.mkdtemp(prefix="bench-chromium-", dir=tmp))
        self.version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()
        self.proc = subprocess.Popen([exe, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}",
                                      "--remote-debugging-port=0", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port_file = self.profile / "DevToolsActivePort"
        end = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > end or self.proc.poll() is not None:
                self.stop()
                raise SystemExit("chromium did not start its DevTools endpoint")
            time.sleep(0.05)
        port, path = port_file.read_text().split()[:2]
        self.browser_url = f"ws://127.0.0.1:{port}{path}"
        self.local = threading.local()

    def _conn(self):
        import websocket

        ws = getattr(self.local, "ws", None)
        if ws is None:  # one browser connection per client thread, kept alive
            ws = self.local.ws = websocket.create_connection(self.browser_url, timeout=120, suppress_origin=True)
            self.local.n = 0
        return ws

    def _call(self, method: str, params: dict | None = None, session: str | None = None,
              until_event: str | None = None) -> dict:
        ws = self._conn()
        self.local.n += 1
        msg_id = self.local.n
        msg = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        ws.send(json.dumps(msg))
        result, seen_event = None, until_event is None
        while result is None or not seen_event:
            data = json.loads(ws.recv())
            if data.get("id") == msg_id:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                result = data["result"]
            elif until_event and data.get("method") == until_event and data.get("sessionId") == session:
                seen_event = True
        return result

    def print_(self, url: str) -> bytes:
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        try:
            session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            self._call("Page.enable", session=session)
            self._call("Page.navigate", {"url": url}, session=session, until_event="Page.loadEventFired")
            data = base64.b64decode(self._call("Page.printToPDF", {}, session=session)["data"])
        finally:
            self._call("Target.closeTarget", {"targetId": target})
        if not data.startswith(b"%PDF-"):
            raise RuntimeError("chromium returned no PDF")
        return data

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


# -- the measures -----------------------------------------------------------------------------

def _timed(fn, times: list[float]) -> None:
    t = time.perf_counter()
    fn()
    times.append(time.perf_counter() - t)


def _percentiles(a: list[float], b: list[float]) -> dict[str, float]:
    return {"ours_p50": statistics.median(a), "ours_p95": pct(a, 95),
            "chromium_p50": statistics.median(b), "chromium_p95": pct(b, 95)}


def latency(ours, chrome, runs: int, settle: float = 0.0) -> dict[str, float]:
    """p50 and p95 of each, the two taking turns; ``settle``: seconds of rest (not timed) after
    each print, so that neither print is timed while the other's trailing work still runs."""
    for _ in range(3):  # warm both
        ours()
        chrome()
    a: list[float] = []
    b: list[float] = []
    for _ in range(runs):
        for fn, times in ((ours, a), (chrome, b)):
            _timed(fn, times)
            time.sleep(settle)
    return _percentiles(a, b)


def latency_blocks(ours, chrome, runs: int, block: int, settle: float) -> dict[str, float]:
    """p50 and p95 of each, back to back with itself: runs of ``block`` prints of one system,
    then of the other (the rest between runs), so that each print follows one of its own."""
    a: list[float] = []
    b: list[float] = []
    while len(a) < runs:
        for fn, times in ((ours, a), (chrome, b)):
            fn()  # not timed: it follows the other system's run
            for _ in range(min(block, runs - len(times))):
                _timed(fn, times)
            time.sleep(settle)
    return _percentiles(a, b)


def chromium_after(chrome, url: str, runs: int) -> float:
    """Median CPU seconds Chromium's processes spend in the 0.15 s after a print has returned
    (closing the tab goes on after ``Target.closeTarget`` has answered)."""
    def used(pids: list[int]) -> dict[int, float]:
        out = {}
        for pid in pids:
            try:
                out[pid] = _cpu_seconds(pid)
            except (OSError, IndexError, ValueError):  # ended meanwhile
                pass
        return out

    spent = []
    for _ in range(runs):
        chrome.print_(url)
        before = used(_chromium_pids())
        time.sleep(0.15)
        after = used(list(before))  # a process that ended takes its last figures along: a lower bound
        spent.append(sum(after[pid] - before[pid] for pid in after))
    return statistics.median(spent)


def _chromium_pids() -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if b"chromium" in f.read():
                        found.append(int(entry))
            except OSError:
                pass
    return found


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def cpu_split(svc: Service, prints: int) -> dict[str, float]:
    """Where a print's CPU goes: the service process (HTTP, auth, policy check, job records,
    dispatch) and its worker processes (the render), per print, against a warm render in this
    process of the same selection (the CPU a print cannot do without)."""
    sys.path.insert(0, str(ROOT / "src"))
    from exporter.engine import Engine, ExportRequest

    server, workers = svc.proc.pid, _children(svc.proc.pid)
    before = {p: _cpu_seconds(p) for p in [server, *workers]}
    for _ in range(prints):
        svc.print_()
    after = {p: _cpu_seconds(p) for p in before}
    engine = Engine()
    request = ExportRequest(**{k: v for k, v in BODY.items()}, user="irina")
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(3):
            engine.export(request, Path(tmp) / "warm.pdf")
        spent = []
        for _ in range(prints):
            c = time.process_time()
            engine.export(request, Path(tmp) / "warm.pdf")
            spent.append(time.process_time() - c)
    return {"server_ms": (after[server] - before[server]) / prints * 1000,
            "workers_s": sum(after[p] - before[p] for p in workers) / prints,
            "in_process_s": statistics.median(spent)}


def throughput(fn, jobs: int, clients: int, limit: int | None = None) -> tuple[float, int]:
    gate = threading.Semaphore(limit) if limit else None
    errors = 0

    def one(_):
        nonlocal errors
        try:
            if gate:
                with gate:
                    fn()
            else:
                fn()
        except Exception as exc:  # counted
            errors += 1
            print(f"  error: {exc}", file=sys.stderr)

    t = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(jobs)))
    return jobs / (time.perf_counter() - t), errors


def citations(tmp: Path, runs: int) -> dict[str, float] | str:
    import citeproc

    sys.path.insert(0, str(ROOT / "src"))
    from exporter.csl import entry_to_csl
    from exporter.engine import Engine

    node_dir = ROOT / "scripts" / "citeproc-js"
    if not (node_dir / "node_modules" / "citeproc").exists():
        return "citeproc-js missing (bash scripts/setup-bench.sh)"
    engine = Engine()
    entries = engine.load(FRUS).entries[:100]
    ids = [e.id for e in entries]
    records = [entry_to_csl(e) for e in entries]
    records_path = tmp / "records.json"
    records_path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    style = engine.plugins.styles.get("chicago-notes-bibliography").path
    locale = Path(citeproc.LOCALES_PATH) / "locales-en-US.xml"
    node = subprocess.Popen(["node", str(node_dir / "warm_bibliography.js"), str(records_path), str(style),
                             str(locale)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    node.stdout.readline()
    svc = Service(tmp, 1, corpus=FRUS)
    try:
        params = {"entries": ",".join(ids), "style": "chicago-notes-bibliography", "mode": "bibliography"}
        with httpx.Client(base_url=svc.url, timeout=60) as c:
            def ours():
                r = c.get("/v1/citations", params=params)
                assert r.status_code == 200 and len(r.json()["citations"]) == 100, r.text[:200]

            def js():
                node.stdin.write(json.dumps([r["id"] for r in records]) + "\n")
                node.stdin.flush()
                assert json.loads(node.stdout.readline())["entries"] == 100

            for _ in range(3):
                ours()
                js()
            a, b = [], []
            for _ in range(runs):
                t = time.perf_counter()
                ours()
                a.append(time.perf_counter() - t)
                t = time.perf_counter()
                js()
                b.append(time.perf_counter() - t)
    finally:
        svc.stop()
        node.stdin.close()
        node.wait(10)
    return {"ours_p50": statistics.median(a), "citeproc_js_p50": statistics.median(b)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=30, help="sequential prints for the latency figures")
    ap.add_argument("--jobs", type=int, default=48, help="prints in the throughput figure")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--tabs", type=int, default=6, help="Chromium tabs at once")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-prints", type=int, default=1000, help="0 to skip the memory figure")
    ap.add_argument("--settle", type=float, default=0.2,
                    help="seconds of rest after each latency print (0: back to back only); the "
                         "latency is measured with it and then back to back")
    ap.add_argument("--block", type=int, default=5,
                    help="prints of one system in a row for the back-to-back-with-itself latency (0: skip it)")
    ap.add_argument("--skip", action="append", default=[], choices=("latency", "throughput", "citations"))
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; load average at the start "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp_name:
        tmp = Path(tmp_name)
        html = tmp / "sel.html"
        subprocess.run([str(BIN / "exporter"), "export", *SELECTION, "--format", "html", "--output", str(html),
                        "--accept-terms"], check=True, capture_output=True)
        if {"latency", "throughput"} - set(args.skip):
            svc = Service(tmp, args.workers)
            chrome = Chromium(tmp)
            print(f"reference: {chrome.version}, kept alive, a fresh tab per print")
            try:
                if "latency" not in args.skip:
                    def chromium_print() -> None:
                        chrome.print_(html.as_uri())

                    modes = [(f"{args.settle:g} s of rest after each print", args.settle)] if args.settle else []
                    modes.append(("back to back, taking turns", 0.0))
                    if args.block:
                        modes.append((f"each back to back with itself, {args.block} in a row", None))
                    for how, settle in modes:
                        lat = (latency(svc.print_, chromium_print, args.runs, settle) if settle is not None
                               else latency_blocks(svc.print_, chromium_print, args.runs, args.block, args.settle))
                        met = lat["ours_p50"] <= 0.6 * lat["chromium_p50"]
                        print(f"latency, ten-page print, {args.runs} sequential, {how}: exporter serve p50 "
                              f"{lat['ours_p50']:.3f} s, "
                              f"p95 {lat['ours_p95']:.3f} s; chromium p50 {lat['chromium_p50']:.3f} s, p95 "
                              f"{lat['chromium_p95']:.3f} s; ratio p50 {lat['ours_p50'] / lat['chromium_p50']:.3f} "
                              f"(target <= 0.6: {'met' if met else 'not met'})")
                    rest = chromium_after(chrome, html.as_uri(), 10)
                    print(f"chromium's CPU after Target.closeTarget has answered (the next 0.15 s, median of 10): "
                          f"{rest * 1000:.0f} ms")
                    split = cpu_split(svc, 10)
                    print(f"CPU per print through the service: service process {split['server_ms']:.1f} ms, worker "
                          f"processes {split['workers_s']:.3f} s; a warm in-process render of the same selection "
                          f"{split['in_process_s']:.3f} s")
                if "throughput" not in args.skip:
                    ours, err_a = throughput(svc.print_, args.jobs, args.clients)
                    theirs, err_b = throughput(lambda: chrome.print_(html.as_uri()), args.jobs, args.clients, args.tabs)
                    print(f"throughput, {args.clients} clients, {args.jobs} prints: exporter serve ({args.workers} "
                          f"workers) {ours:.2f}/s, {err_a} errors; chromium ({args.tabs} tabs) {theirs:.2f}/s, "
                          f"{err_b} errors; ratio {ours / theirs:.2f} (target >= 1.5, 0 errors)")
            finally:
                chrome.stop()
                svc.stop()
        if args.memory_prints:
            svc = Service(tmp, 1, extra="max_jobs_per_worker = 1000000\nmax_rss_mb = 100000")
            try:
                for _ in range(10):
                    svc.print_()
                after10 = svc.rss()
                t = time.perf_counter()
                for _ in range(args.memory_prints - 10):
                    svc.print_()
                after = svc.rss()
                spent = time.perf_counter() - t
            finally:
                svc.stop()
            pid = next(iter(after10))
            if pid not in after:
                print("memory: the worker was replaced during the run (no figure)")
            else:
                print(f"memory: worker RSS after 10 prints {after10[pid] / 2**20:.1f} MiB, after "
                      f"{args.memory_prints} {after[pid] / 2**20:.1f} MiB; ratio {after[pid] / after10[pid]:.2f} "
                      f"(target <= 1.5); {args.memory_prints - 10} prints in {spent:.0f} s")
        if "citations" not in args.skip:
            cit = citations(tmp, args.runs)
            if isinstance(cit, str):
                print("citations:", cit)
            else:
                print(f"citations, 100-entry Chicago bibliography (FRUS): GET /v1/citations p50 "
                      f"{cit['ours_p50'] * 1000:.1f} ms; citeproc-js warm in node p50 "
                      f"{cit['citeproc_js_p50'] * 1000:.1f} "
                      f"ms; ratio {cit['ours_p50'] / cit['citeproc_js_p50']:.2f} (target <= 1)")
    print("load average at the end:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
