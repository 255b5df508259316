"""Benchmark of the Celery backend: throughput with one and two worker nodes, and its overhead
per job against the local backend with the same number of processes, all in one run.

Print: the ten-page March selection of the PDF benchmark (translation pages 20-29, Irina's
visible annotations).  Everything runs on this machine: a private redis-server (append-only
file, ``appendfsync everysec`` as the project's scripts start it, or ``--fsync always``),
``exporter worker`` nodes with one rendering process each, and the service's local backend
(``LocalBackend``, spawned warm workers) for the reference; the workers of both read one SQLite
annotation store.  Jobs are submitted through the same clients the service uses.  What is
compared takes turns in time (this machine's load from other work changes by the minute):

* **throughput**: one node on one queue and two nodes on another (each queue with its own key
  prefix), all up at once; ``--jobs`` prints in three rounds, each round a batch on the one node
  and then a batch on the two, submitted at once, timed from the first submit to the last
  result (target: two nodes ≥ 1.8× one).  Each job is waited for as the service waits for a
  ``Prefer: wait`` request (the Redis "finished" notification), by the same client for one node
  and for two: a client polling every few ms would cost the worker machine CPU that a real
  deployment spends on its service nodes, and with two nodes every CPU millisecond spent outside
  the renders comes out of them;
* **CPU per print, by process**, in those rounds (``/proc/PID/stat`` user+sys before and after,
  children included): each node's rendering process and its main (Celery consumer) process,
  redis-server, this benchmark process (the clients), and the rest of the machine (other
  work, from ``/proc/stat``); also how many of the cores each kept busy.  With both cores
  rendering, the ratio is about 2·render / (render + overhead), so this split says where the
  throughput goes, and it is less disturbed by other work than the wall-clock ratio;
* **overhead**: ``--latency-jobs`` jobs one after another (an idle queue), a Celery job on the
  one node and a local-backend job (one worker process) in turn; end-to-end latency submit →
  done, p50 and p95, the state polled every 2 ms on both backends (target: Celery p50 − local
  p50 ≤ 15 ms); for the ten-page print, a tiny job (one entry's RIS record, where the render is
  a few ms and the rest is queueing), and the tiny job waited for as ``Prefer: wait`` does (the
  Redis notification; the local backend's in-process wake-up), with the tiny Celery job's time
  split into its phases.  The local backend starts after the throughput rounds, so that its
  canary renders are not in them;
* **per-job cost** for docs/scaling.md: worker CPU seconds per print (the one node's user+sys
  time divided by jobs), Redis commands per job (``INFO commandstats`` around the one-node
  rounds, less the benchmark's own reads of job state; the idle nodes' few commands a second
  included)
  and the size of the print.

Run: ``.venv/bin/python bench/bench_scale.py [--jobs 40] [--latency-jobs 30] [--fsync always]``
(docs/performance.md's figures: ``--jobs 90 --latency-jobs 30``).
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
from exporter.service.store_setup import open_store_url

BIN = Path(sys.executable).parent
PRINT = dict(format="pdf", range="kd1-1918-03-03a..kd1-1918-03-14", pages="20-29", layer="translation",
             user="irina", annotations="visible", accept_terms=True)
TINY = dict(format="ris", entries="kd1-1918-03-06", annotations="none")
POLL = 0.002
#: Throughput rounds: one node, then two, this many times over.
ROUNDS = 3


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


def _proc_stats() -> dict[int, tuple[int, int, float]]:
    """pid -> (ppid, pgrp, user+sys seconds of the process and of its children it waited for)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(entry.name)] = (int(fields[1]), int(fields[2]), sum(int(x) for x in fields[11:15]) / tick)
    return out


def node_cpu(procs: list[subprocess.Popen]) -> float:
    """user+sys seconds of every process in the nodes' process groups, from /proc."""
    groups = {p.pid for p in procs}
    return sum(cpu for _, pgrp, cpu in _proc_stats().values() if pgrp in groups)


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (every process: /proc/stat, less idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


class CpuSplit:
    """CPU seconds by part, summed over measured intervals: this benchmark process (its clients),
    redis-server, each worker node's main process and its rendering (pool) processes, the local
    backend's idle workers, and the rest of the machine (other users' work).

    Each process counts its own user+sys time and that of its children it has waited for (a
    recycled pool process ends in its node's main process)."""

    def __init__(self, redis_pid: int, nodes: dict[str, subprocess.Popen]) -> None:
        self.redis_pid, self.nodes = redis_pid, nodes
        self.seconds: dict[str, float] = {}
        self._start: tuple[dict[str, float], float] | None = None

    def _parts(self) -> dict[str, float]:
        stats, me = _proc_stats(), os.getpid()
        node_of = {p.pid: name for name, p in self.nodes.items()}
        parts: dict[str, float] = {}
        for pid, (ppid, pgrp, cpu) in stats.items():
            if pid == me:
                part = "benchmark process (clients)"
            elif pid == self.redis_pid:
                part = "redis-server"
            elif pid in node_of:
                part = f"node {node_of[pid]}: main"
            elif ppid in node_of:
                part = f"node {node_of[ppid]}: render"
            elif pgrp in node_of:
                part = f"node {node_of[pgrp]}: other"
            elif ppid == me:
                part = "local backend (idle)"
            else:
                continue
            parts[part] = parts.get(part, 0.0) + cpu
        return parts

    def __enter__(self) -> CpuSplit:
        self._start = (self._parts(), machine_busy())
        return self

    def __exit__(self, *exc) -> None:
        assert self._start is not None
        before, busy0 = self._start
        after, busy = self._parts(), machine_busy()
        ours = 0.0
        for part in after.keys() | before.keys():
            d = after.get(part, 0.0) - before.get(part, 0.0)
            self.seconds[part] = self.seconds.get(part, 0.0) + d
            ours += d
        other = "rest of the machine"
        self.seconds[other] = self.seconds.get(other, 0.0) + max(0.0, busy - busy0 - ours)

    def part_sum(self, parts: list[str]) -> float:
        return sum(self.seconds.get(p, 0.0) for p in parts)

    def ours(self) -> float:
        """CPU seconds of this benchmark's processes (everything but the rest of the machine)."""
        return sum(v for k, v in self.seconds.items() if k != "rest of the machine")

    def report(self, jobs: int, wall: float, render_nodes: list[str]) -> str:
        """The split per print, in ms: the rendering processes of ``render_nodes``, then every
        other part of this benchmark's processes (the overhead), then the rest of the machine;
        and how many of the machine's cores each side kept busy over ``wall`` seconds."""
        render = sum(v for k, v in self.seconds.items() if k in {f"node {n}: render" for n in render_nodes})
        rest = self.seconds.get("rest of the machine", 0.0)
        over = {k: v for k, v in self.seconds.items() if k != "rest of the machine" and
                k not in {f"node {n}: render" for n in render_nodes}}
        parts = "; ".join(f"{k} {v / jobs * 1000:.1f}" for k, v in sorted(over.items(), key=lambda kv: -kv[1]))
        ours = render + sum(over.values())
        return (f"render {render / jobs * 1000:.1f} ms, overhead {sum(over.values()) / jobs * 1000:.1f} ms "
                f"({parts}); rest of the machine {rest / jobs * 1000:.1f} ms; cores busy: "
                f"{ours / wall:.2f} with this benchmark, {rest / wall:.2f} with other work, of {os.cpu_count()}")


def celery_wait(jobs: CeleryJobs, job_id: str) -> None:
    while True:
        job = jobs.store.get(job_id)
        if job is not None and job.state in ("done", "failed", "cancelled"):
            if job.state != "done":
                raise SystemExit(f"job {job_id} {job.state}: {job.error}")
            return
        time.sleep(POLL)


def celery_throughput(jobs: CeleryJobs, n: int, per_node: dict[str, int] | None = None) -> float:
    """``n`` prints submitted at once, each waited for as a ``Prefer: wait`` request is (woken by
    the store's notification, not polling): seconds from the first submit to the last result.
    ``per_node``: counts the prints each node rendered."""
    start = time.perf_counter()
    ids = [jobs.submit(ExportRequest(**PRINT)) for _ in range(n)]
    for i in ids:
        job = jobs.wait(i, 300)
        if job is None or job.state != "done":
            raise SystemExit(f"job {i} {job and job.state}: {job and job.error}")
        if per_node is not None:
            per_node[job.worker or "?"] = per_node.get(job.worker or "?", 0) + 1
    return time.perf_counter() - start


def celery_latency(jobs: CeleryJobs, fields: dict, n: int, woken: bool = False,
                   phases: dict[str, list[float]] | None = None) -> list[float]:
    """Submit → done, one job after another; ``woken``: waiting as ``Prefer: wait`` does (the
    store's notification) instead of polling; ``phases``: where each job's time went."""
    out = []
    for _ in range(n):
        t, wall = time.perf_counter(), time.time()
        job_id = jobs.submit(ExportRequest(**fields))
        if woken:
            job = jobs.wait(job_id, 120)
            if job is None or job.state != "done":
                raise SystemExit(f"job {job_id}: {job and job.state}")
        else:
            celery_wait(jobs, job_id)
        seen = time.time()
        out.append(time.perf_counter() - t)
        if phases is not None:
            f = jobs.store.get(job_id).fields
            started, finished = float(f["started"]), float(f["finished"])
            phases.setdefault("submit to a worker's start", []).append(started - wall)
            phases.setdefault("start to published (render included)", []).append(finished - started)
            phases.setdefault("published to seen", []).append(seen - finished)
    return out


def local_backend(tmp: Path, workers: int, store_url: str):
    from exporter.service.config import load_config
    from exporter.service.local import LocalBackend
    from exporter.service.store import JobStore

    config = load_config(None, env={})
    config.service.state_dir = str(tmp / "local-state")
    config.jobs.workers = workers
    config.jobs.queue_size = 1000
    config.store.url = store_url
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


def local_latency(backend, fields: dict, n: int, woken: bool = False) -> list[float]:
    from exporter.service.jobs import JobSpec, new_job_id

    out = []
    for _ in range(n):
        req = asdict(ExportRequest(**fields))
        spec = JobSpec(id=new_job_id(), owner=fields.get("user"), request=req, filename="x", media_type="")
        t = time.perf_counter()
        backend.submit(spec)
        while woken:
            s = asyncio.run(backend.wait(spec.id, 120))
            if s.state != "done":
                raise SystemExit(f"local job {s.state}: {s.error}")
            break
        while not woken:
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
    """Redis commands served so far, less HGETALL (the benchmark's own reads of job state)."""
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
        # Both backends' workers read one annotation store, as a service's do (made and filled
        # from the sample here, as the service does at its first start).
        store_url = f"sqlite:///{tmp / 'annotations.sqlite'}"
        open_store_url(store_url, None).close()
        # One node on its own queue, two nodes on another: all three stay up, and the runs of
        # one and of two nodes take turns, so that both meet the same load from other work.
        configs = {}
        for name in ("one", "two"):
            configs[name] = tmp / f"{name}.toml"
            configs[name].write_text(f'[celery]\nbroker_url = "{server.url}"\ncanary_interval = 5\n'
                                     f'queue = "bench-{name}"\nkey_prefix = "bench-{name}:"\n'
                                     f'[store]\nurl = "{store_url}"\n')
        one, two = (CeleryJobs(load_settings(configs[n], env={})) for n in ("one", "two"))
        rclient = redis.Redis.from_url(server.url)
        print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
              f"{args.jobs} prints per throughput run, {args.latency_jobs} jobs per latency run, "
              f"appendfsync {args.fsync}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
              flush=True)
        nodes_one = [start_node(tmp, configs["one"], "one")]
        nodes_two = [start_node(tmp, configs["two"], "a"), start_node(tmp, configs["two"], "b")]
        backend = store = None
        try:
            wait_ready(one, ["one@bench", "a@bench", "b@bench"])
            celery_throughput(one, 4)  # warm: first renders of this selection in each pool
            celery_throughput(two, 4)
            # -- throughput: rounds of one node, then two ---------------------------------------
            per_round = max(2, args.jobs // ROUNDS)
            t1 = t2 = cpu = 0.0
            cmds = 0
            named = {"one": nodes_one[0], "a": nodes_two[0], "b": nodes_two[1]}
            split1, split2 = (CpuSplit(server.proc.pid, named) for _ in range(2))
            shares: dict[str, int] = {}
            for _ in range(ROUNDS):
                cpu0, cmd0 = node_cpu(nodes_one), commands(rclient)
                with split1:
                    t1 += celery_throughput(one, per_round)
                cpu += node_cpu(nodes_one) - cpu0
                cmds += commands(rclient) - cmd0
                with split2:
                    t2 += celery_throughput(two, per_round, shares)
            total = per_round * ROUNDS
            cpu_per_job, cmds_per_job = cpu / total, cmds / total
            first = one.submit(ExportRequest(**PRINT))
            celery_wait(one, first)
            size = int(one.store.get(first).fields["size"])
            # -- latency: a Celery job and a local job in turn ----------------------------------
            # The local backend starts only now: its canary renders would be in the rounds above.
            backend, store = local_backend(tmp, 1, store_url)
            local_latency(backend, PRINT, 3)
            phases: dict[str, list[float]] = {}
            runs: dict[str, tuple[list[float], list[float]]] = {}
            for label, fields, woken in (("print", PRINT, False), ("tiny (ris, 1 entry)", TINY, False),
                                         ("tiny, woken as Prefer: wait is", TINY, True)):
                c: list[float] = []
                loc: list[float] = []
                for _ in range(args.latency_jobs):
                    c += celery_latency(one, fields, 1, woken=woken, phases=phases if fields is TINY and
                                        not woken else None)
                    loc += local_latency(backend, fields, 1, woken=woken)
                runs[label] = (c, loc)
        finally:
            stop_nodes(nodes_one + nodes_two)
            if backend is not None and store is not None:
                backend.close(drain=False)
                store.close()
            one.close()
            two.close()

    r1, r2 = total / t1, total / t2
    print(f"throughput, 1 node : {r1:.2f} prints/s ({t1:.2f} s for {total}, in {ROUNDS} rounds)")
    print(f"throughput, 2 nodes: {r2:.2f} prints/s ({t2:.2f} s for {total}, in {ROUNDS} rounds taking turns "
          f"with the 1-node ones); ratio {r2 / r1:.2f}x (target >= 1.8x)")
    print(f"2-node rounds: prints per node {', '.join(f'{k} {v}' for k, v in sorted(shares.items()))}")
    print(f"CPU per print, 1 node : {split1.report(total, t1, ['one'])}")
    print(f"CPU per print, 2 nodes: {split2.report(total, t2, ['a', 'b'])}")
    # With the machine to itself, two nodes keep both cores busy, and everything beside the renders
    # comes out of them: the ratio this split allows, before the renders' own slowdown when two run
    # at once (render CPU per print, one node against two, above; noisy under other work).
    render2 = split2.part_sum(["node a: render", "node b: render"])
    print(f"ratio the 2-node CPU split allows with the machine to itself, 2 x render / (render + overhead): "
          f"{2 * render2 / split2.ours():.2f}x (an estimate, not a measurement)")
    for label, (c, loc) in runs.items():
        over = (statistics.median(c) - statistics.median(loc)) * 1000
        print(f"latency {label}: celery p50 {statistics.median(c) * 1000:.1f} ms, p95 {pct(c, .95) * 1000:.1f} ms; "
              f"local p50 {statistics.median(loc) * 1000:.1f} ms, p95 {pct(loc, .95) * 1000:.1f} ms; "
              f"overhead p50 {over:+.1f} ms (target <= 15 ms)")
    print("celery tiny job, p50 of each phase: " + "; ".join(
        f"{name} {statistics.median(v) * 1000:.1f} ms" for name, v in phases.items()))
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"per print on a node: {cpu_per_job * 1000:.0f} ms CPU (worker processes); "
          f"{cmds_per_job:.1f} Redis commands per job (broker, state, result; the benchmark's reads not counted); "
          f"the print is {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
