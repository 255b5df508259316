"""Benchmark of the Celery backend: throughput with one and two worker nodes, and its overhead
per job against the local backend with the same number of processes, all in one run.

Print: the ten-page March selection of the PDF benchmark (translation pages 20-29, Irina's
visible annotations).  Everything runs on this machine: a private redis-server (append-only
file, ``appendfsync everysec`` as the project's scripts start it, or ``--fsync always``), ``exporter worker`` nodes with one
rendering process each, and the service's local backend (``LocalBackend``, spawned warm
workers) for the reference.  Jobs are submitted through the same clients the service uses and
their state is polled every 2 ms on both backends, so polling does not favour either.

* **throughput**: ``--jobs`` prints submitted at once, time from the first submit to the last
  result, with one node and with two (target: two nodes ≥ 1.8× one);
* **overhead**: ``--latency-jobs`` prints one after another (an idle queue), end-to-end latency
  submit → done, p50 and p95, on Celery with one node and on the local backend with one worker
  (target: Celery p50 − local p50 ≤ 15 ms); the same for a tiny job (one entry's RIS record),
  where the render is ~1 ms and the difference is all queueing;
* **per-job cost** for docs/scaling.md: worker CPU seconds per print (the nodes' user+sys time
  divided by jobs), Redis commands per job (``INFO commandstats`` before and after, less the
  benchmark's own polling) and the size of the print.

Run: ``.venv/bin/python bench/bench_scale.py [--jobs 40] [--latency-jobs 30] [--fsync always]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import redis

from exporter.engine import ExportRequest
from exporter.service.celery_backend.client import CeleryJobs
from exporter.service.celery_backend.local_redis import LocalRedis
from exporter.service.celery_backend.settings import load_settings

BIN = Path(sys.executable).parent
PRINT = dict(format="pdf", range="kd1-1918-03-03a..kd1-1918-03-14", pages="20-29", layer="translation",
             user="irina", annotations="visible", accept_terms=True)
TINY = dict(format="ris", entries="kd1-1918-03-06", annotations="none")
POLL = 0.002


def start_node(tmp: Path, config: Path, name: str) -> subprocess.Popen:
    log = open(tmp / f"{name}.log", "ab")
    proc = subprocess.Popen([str(BIN / "exporter"), "worker", "--config", str(config), "--hostname", f"{name}@bench",
                             "--concurrency", "1", "--loglevel", "WARNING"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return proc


def wait_ready(jobs: CeleryJobs, names: list[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = jobs.app.control.ping(timeout=1.0) or []
        if all(any(n in reply for reply in found) for n in names):
            return
        time.sleep(0.5)
    raise SystemExit(f"worker nodes {names} not ready after {timeout} s")


def stop_nodes(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def node_cpu(procs: list[subprocess.Popen]) -> float:
    """user+sys seconds of every process in the nodes' process groups, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    groups = {p.pid for p in procs}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in groups:  # pgrp
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def celery_wait(jobs: CeleryJobs, job_id: str) -> None:
    while True:
        job = jobs.store.get(job_id)
        if job is not None and job.state in ("done", "failed", "cancelled"):
            if job.state != "done":
                raise SystemExit(f"job {job_id} {job.state}: {job.error}")
            return
        time.sleep(POLL)


def celery_throughput(jobs: CeleryJobs, n: int) -> float:
    start = time.perf_counter()
    ids = [jobs.submit(ExportRequest(**PRINT)) for _ in range(n)]
    for i in ids:
        celery_wait(jobs, i)
    return time.perf_counter() - start


def celery_latency(jobs: CeleryJobs, fields: dict, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        celery_wait(jobs, jobs.submit(ExportRequest(**fields)))
        out.append(time.perf_counter() - t)
    return out


def local_backend(tmp: Path, workers: int):
    from exporter.service.config import load_config
    from exporter.service.local import LocalBackend
    from exporter.service.store import JobStore

    config = load_config(None, env={})
    config.service.state_dir = str(tmp / "local-state")
    config.jobs.workers = workers
    config.jobs.queue_size = 1000
    Path(config.service.state_dir).mkdir(parents=True, exist_ok=True)
    store = JobStore(config.state_path / "jobs.sqlite3")
    backend = LocalBackend(config, store)
    backend.start()
    deadline = time.monotonic() + 120
    while not backend.readiness()[0]:
        if time.monotonic() > deadline:
            raise SystemExit(f"local backend not ready: {backend.readiness()[1]}")
        time.sleep(0.1)
    return backend, store


def local_latency(backend, fields: dict, n: int) -> list[float]:
    from exporter.service.jobs import JobSpec, new_job_id

    out = []
    for _ in range(n):
        req = asdict(ExportRequest(**fields))
        spec = JobSpec(id=new_job_id(), owner=fields.get("user"), request=req, filename="x", media_type="")
        t = time.perf_counter()
        backend.submit(spec)
        while True:
            s = backend.status(spec.id)
            if s.state in ("done", "failed", "cancelled"):
                if s.state != "done":
                    raise SystemExit(f"local job {s.state}: {s.error}")
                break
            time.sleep(POLL)
        out.append(time.perf_counter() - t)
    return out


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def commands(client: redis.Redis) -> int:
    """Redis commands served so far, less HGETALL (the benchmark's own polling of job state)."""
    stats = client.info("commandstats")
    return sum(v["calls"] for k, v in stats.items() if k != "cmdstat_hgetall")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=40, help="prints per throughput run")
    ap.add_argument("--latency-jobs", type=int, default=30, help="sequential jobs per latency run")
    ap.add_argument("--fsync", choices=("everysec", "always"), default="everysec",
                    help="Redis appendfsync (always: durable against power loss, slower)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp_name, LocalRedis(fsync=args.fsync) as server:
        tmp = Path(tmp_name)
        config = tmp / "exporter.toml"
        config.write_text(f'[celery]\nbroker_url = "{server.url}"\ncanary_interval = 5\n')
        jobs = CeleryJobs(load_settings(config, env={}))
        rclient = redis.Redis.from_url(server.url)
        print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
              f"{args.jobs} prints per throughput run, {args.latency_jobs} jobs per latency run, "
              f"appendfsync {args.fsync}", flush=True)

        # -- one node ---------------------------------------------------------------------------
        nodes = [start_node(tmp, config, "one")]
        try:
            wait_ready(jobs, ["one@bench"])
            celery_throughput(jobs, 4)  # warm: first renders of this selection in the pool
            cpu0, cmd0 = node_cpu(nodes), commands(rclient)
            t1 = celery_throughput(jobs, args.jobs)
            cpu_per_job = (node_cpu(nodes) - cpu0) / args.jobs
            cmds_per_job = (commands(rclient) - cmd0) / args.jobs
            one = jobs.submit(ExportRequest(**PRINT))
            celery_wait(jobs, one)
            size = int(jobs.store.get(one).fields["size"])
            lat_celery = celery_latency(jobs, PRINT, args.latency_jobs)
            tiny_celery = celery_latency(jobs, TINY, args.latency_jobs)
        finally:
            stop_nodes(nodes)
        # -- two nodes --------------------------------------------------------------------------
        nodes = [start_node(tmp, config, "a"), start_node(tmp, config, "b")]
        try:
            wait_ready(jobs, ["a@bench", "b@bench"])
            celery_throughput(jobs, 4)
            t2 = celery_throughput(jobs, args.jobs)
        finally:
            stop_nodes(nodes)
        jobs.close()
        # -- the local backend, one worker process ---------------------------------------------------
        backend, store = local_backend(tmp, 1)
        try:
            local_latency(backend, PRINT, 3)
            lat_local = local_latency(backend, PRINT, args.latency_jobs)
            tiny_local = local_latency(backend, TINY, args.latency_jobs)
        finally:
            backend.close(drain=False)
            store.close()

    r1, r2 = args.jobs / t1, args.jobs / t2
    print(f"throughput, 1 node : {r1:.2f} prints/s ({t1:.2f} s for {args.jobs})")
    print(f"throughput, 2 nodes: {r2:.2f} prints/s ({t2:.2f} s for {args.jobs}); "
          f"ratio {r2 / r1:.2f}x (target >= 1.8x)")
    for label, c, loc in (("print", lat_celery, lat_local), ("tiny (ris, 1 entry)", tiny_celery, tiny_local)):
        over = (statistics.median(c) - statistics.median(loc)) * 1000
        print(f"latency {label}: celery p50 {statistics.median(c) * 1000:.1f} ms, p95 {pct(c, .95) * 1000:.1f} ms; "
              f"local p50 {statistics.median(loc) * 1000:.1f} ms, p95 {pct(loc, .95) * 1000:.1f} ms; "
              f"overhead p50 {over:+.1f} ms (target <= 15 ms)")
    print(f"per print on a node: {cpu_per_job * 1000:.0f} ms CPU (worker processes); "
          f"{cmds_per_job:.1f} Redis commands per job (broker, state, result; the benchmark's polling not counted); "
          f"the print is {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
