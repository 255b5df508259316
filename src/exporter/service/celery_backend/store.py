"""Job state and results in Redis, shared by every service node and every worker.

One hash per job (``{prefix}job:{id}``) holds its request, state, attempts, the worker that ran
it, the error and the result's description.  State changes are Lua scripts, so each is atomic
however many nodes race:

* :meth:`JobStore.begin` -- a worker takes a delivery: counts the attempt (Celery does not count
  redeliveries), and fails the job as poison once it passes ``max_attempts``;
* :meth:`JobStore.publish` -- the first finished run publishes the result; any later run of the
  same job (a redelivery after a lost acknowledgement) is counted as a duplicate and dropped, so
  a job has exactly one result;
* :meth:`JobStore.fail`, :meth:`JobStore.lost`, :meth:`JobStore.cancel`.

Results: bytes in Redis (``{prefix}result:{id}``) up to ``result_max_bytes`` -- every node
already reaches Redis, and a print is capped at ten source pages (well under a megabyte) -- or,
when ``result_dir`` is configured, a file in that shared folder, for deployments whose exports
(whole-volume citation or annotation files) are large enough to weigh on Redis's memory.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .settings import CelerySettings

FINAL_STATES = ("done", "failed", "cancelled")

_BEGIN = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'missing', 0} end
if state == 'done' or state == 'failed' or state == 'cancelled' then return {state, 0} end
local n = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('ZREM', KEYS[2], ARGV[4])
if n > tonumber(ARGV[3]) then
  local last = redis.call('HGET', KEYS[1], 'last_loss') or 'its worker stopped'
  redis.call('HSET', KEYS[1], 'state', 'failed', 'finished', ARGV[2], 'error_code', 'poison',
             'error', ARGV[5] .. last)
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  redis.call('PUBLISH', ARGV[7], ARGV[4])
  return {'poison', n}
end
redis.call('HSET', KEYS[1], 'state', 'running', 'started', ARGV[2], 'worker', ARGV[1])
return {'running', n, redis.call('HGET', KEYS[1], 'request')}
"""

_CREATE = """
local seq = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], 'seq', seq, unpack(cjson.decode(ARGV[1])))
redis.call('ZADD', KEYS[2], seq, ARGV[2])
return seq
"""

_PUBLISH = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
if state ~= 'running' and state ~= 'queued' then
  redis.call('HINCRBY', KEYS[1], 'duplicates', 1)
  return 0
end
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2]) end
local fields = cjson.decode(ARGV[4])
for _, x in ipairs({'state', 'done', 'finished', ARGV[1], 'progress', '1'}) do fields[#fields + 1] = x end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('HINCRBY', KEYS[1], 'publications', 1)
redis.call('ZREM', KEYS[3], ARGV[5])
redis.call('HINCRBYFLOAT', KEYS[4], 'done', 1)
redis.call('HINCRBYFLOAT', KEYS[4], 'job_seconds_count', 1)
redis.call('HINCRBYFLOAT', KEYS[4], 'job_seconds_sum', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[7], ARGV[5])
return 1
"""

_FAIL = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
if state == 'done' or state == 'failed' or state == 'cancelled' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'failed', 'finished', ARGV[1], 'error', ARGV[2], 'error_code', ARGV[3],
           'http_status', ARGV[6])
redis.call('ZREM', KEYS[2], ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PUBLISH', ARGV[7], ARGV[5])
return 1
"""

_LOST = """
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'queued', 'last_loss', ARGV[1])
redis.call('ZADD', KEYS[2], redis.call('HGET', KEYS[1], 'seq') or 0, ARGV[2])
return 1
"""

_CANCEL = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'missing' end
if state == 'queued' or state == 'running' then
  redis.call('HSET', KEYS[1], 'state', 'cancelled', 'finished', ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PUBLISH', ARGV[4], ARGV[3])
end
return state
"""


class StoreUnavailable(Exception):
    """Redis cannot be reached (or answered with an error): try again later."""


@dataclass
class Job:
    """A job's record as stored (strings decoded; numbers parsed)."""

    id: str
    state: str
    request: dict[str, Any]
    user: str | None
    created: float
    attempts: int
    fields: dict[str, str]

    @property
    def error(self) -> str | None:
        return self.fields.get("error") or None

    @property
    def worker(self) -> str | None:
        return self.fields.get("worker") or None


def make_client(url: str, timeout: float) -> redis.Redis:
    """A redis-py client that fails fast (no retries) so an outage is seen at once."""
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                retry=Retry(NoBackoff(), 0), health_check_interval=5)


class JobStore:
    """Job records, results and the canary's last run, under ``settings.key_prefix``."""

    def __init__(self, settings: CelerySettings, client: redis.Redis | None = None) -> None:
        self.settings = settings
        self.r = client or make_client(settings.broker_url, settings.redis_timeout)
        p = settings.key_prefix
        self.queued_key = p + "queued"
        self.seq_key = p + "seq"
        self.canary_key = p + "canary"
        self.stats_key = p + "stats"
        #: A pub/sub channel: the id of each job that reaches a final state (see :meth:`listen`).
        self.finished_channel = p + "finished"
        self._scripts = {name: self.r.register_script(src) for name, src in
                         (("create", _CREATE), ("begin", _BEGIN), ("publish", _PUBLISH), ("fail", _FAIL),
                          ("lost", _LOST), ("cancel", _CANCEL))}

    # -- keys ------------------------------------------------------------------------------
    def job_key(self, job_id: str) -> str:
        return f"{self.settings.key_prefix}job:{job_id}"

    def result_key(self, job_id: str) -> str:
        return f"{self.settings.key_prefix}result:{job_id}"

    @property
    def _ttl_ms(self) -> int:
        return int(self.settings.result_ttl * 1000)

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError, redis.exceptions.BusyLoadingError,
                redis.exceptions.ReadOnlyError) as exc:
            raise StoreUnavailable(f"Redis is unreachable: {type(exc).__name__}") from exc

    def _script(self, name: str, keys: list[str], args: list[Any]):
        return self._call(self._scripts[name], keys=keys, args=args)

    # -- health ----------------------------------------------------------------------------
    def ping(self) -> bool:
        try:
            return bool(self.r.ping())
        except (redis.RedisError, OSError):
            return False

    def canary_done(self, worker: str) -> None:
        self._call(self.r.hset, self.canary_key, mapping={"at": repr(time.time()), "worker": worker})

    def canary_age(self) -> float | None:
        """Seconds since a worker last finished a canary job (``None``: never)."""
        at = self._call(self.r.hget, self.canary_key, "at")
        return None if at is None else max(0.0, time.time() - float(at))

    def count(self, **increments: float) -> None:
        """Add to the cluster-wide counters (jobs done, failed, job seconds, ...); best effort."""
        try:
            pipe = self.r.pipeline(transaction=False)
            for name, amount in increments.items():
                pipe.hincrbyfloat(self.stats_key, name, amount)
            pipe.execute()
        except (redis.RedisError, OSError):
            pass

    def stats(self) -> dict[str, float]:
        raw = self._call(self.r.hgetall, self.stats_key)
        return {k.decode(): float(v) for k, v in raw.items()}

    # -- the service's side -----------------------------------------------------------------
    def create(self, job_id: str, request: dict[str, Any], user: str | None,
               extra: dict[str, str] | None = None) -> int:
        """Record a new queued job; returns its sequence number (queue order)."""
        mapping = {"state": "queued", "request": json.dumps(request, sort_keys=True), "user": user or "",
                   "created": repr(time.time()), "attempts": "0", "progress": "0", **(extra or {})}
        flat = [str(x) for kv in mapping.items() for x in kv]
        return int(self._script("create", [self.job_key(job_id), self.queued_key, self.seq_key],
                                [json.dumps(flat), job_id]))

    def discard(self, job_id: str) -> None:
        """Forget a job that could not be queued (its message was never sent)."""
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(self.job_key(job_id))
        pipe.zrem(self.queued_key, job_id)
        self._call(pipe.execute)

    def get(self, job_id: str) -> Job | None:
        return self._job(job_id, self._call(self.r.hgetall, self.job_key(job_id)))

    def get_with_position(self, job_id: str) -> tuple[Job | None, int | None]:
        """The record and, while it is queued, its 0-based place in the queue: one round trip."""
        pipe = self.r.pipeline(transaction=False)
        pipe.hgetall(self.job_key(job_id))
        pipe.zrank(self.queued_key, job_id)
        raw, rank = self._call(pipe.execute)
        job = self._job(job_id, raw)
        return job, (rank if job is not None and job.state == "queued" else None)

    @staticmethod
    def _job(job_id: str, raw: dict[bytes, bytes]) -> Job | None:
        if not raw:
            return None
        f = {k.decode(): v.decode("utf-8", "replace") for k, v in raw.items()}
        return Job(id=job_id, state=f.get("state", "queued"), request=json.loads(f.get("request") or "{}"),
                   user=f.get("user") or None, created=float(f.get("created") or 0),
                   attempts=int(f.get("attempts") or 0), fields=f)

    def position(self, job_id: str) -> int | None:
        """0-based place in the queue (``None`` when not queued)."""
        return self._call(self.r.zrank, self.queued_key, job_id)

    def depth(self) -> int:
        return int(self._call(self.r.zcard, self.queued_key))

    def cancel(self, job_id: str) -> str:
        """Cancel a queued or running job; returns the state it was in (``'missing'``)."""
        state = self._script("cancel", [self.job_key(job_id), self.queued_key],
                             [repr(time.time()), self._ttl_ms, job_id, self.finished_channel])
        state = state.decode() if isinstance(state, bytes) else state
        if state in ("queued", "running"):
            self.count(cancelled=1)
        return state

    def result(self, job_id: str, job: Job | None = None) -> bytes | None:
        """The result's bytes (``job``: its record, when the caller has just read it)."""
        job = job or self.get(job_id)
        if job is None or job.state != "done":
            return None
        if job.fields.get("location") == "file":
            try:
                return (Path(self.settings.result_dir or "") / job.fields["path"]).read_bytes()
            except (OSError, KeyError):
                return None
        return self._call(self.r.get, self.result_key(job_id))

    # -- the worker's side ------------------------------------------------------------------
    def begin(self, job_id: str, worker: str) -> tuple[str, int, dict[str, Any] | None]:
        """Take a delivery of ``job_id``: ``('running', n, request)``, ``('poison', n, None)``, or the
        final state the job is already in."""
        prefix = (f"the job ended its worker process on each of {self.settings.max_attempts} attempts "
                  f"and was given up (poison); last: ")
        found = self._script("begin", [self.job_key(job_id), self.queued_key],
                             [worker, repr(time.time()), self.settings.max_attempts, job_id, prefix,
                              self._ttl_ms, self.finished_channel])
        state = found[0].decode() if isinstance(found[0], bytes) else found[0]
        if state == "poison":
            self.count(failed=1, poison=1)
        request = json.loads(found[2]) if len(found) > 2 and found[2] else None
        return state, int(found[1]), request

    def publish(self, job_id: str, data: bytes, meta: dict[str, Any]) -> bool:
        """Publish ``data`` as the job's one result; ``False`` if another run already did."""
        fields = {k: str(v) for k, v in meta.items()}
        fields["sha256"] = hashlib.sha256(data).hexdigest()
        fields["size"] = str(len(data))
        stored = data
        tmp_final: Path | None = None
        if self.settings.result_dir:
            # Written under a name of this run's own, then named in the record only if this run wins.
            folder = Path(self.settings.result_dir)
            name = f"{job_id}.{uuid.uuid4().hex[:12]}.{meta.get('extension', 'bin')}"
            part = folder / (name + ".part")
            part.write_bytes(data)
            tmp_final = folder / name
            os.replace(part, tmp_final)
            fields.update(location="file", path=name)
            stored = b""
        else:
            if len(data) > self.settings.result_max_bytes:
                self.fail(job_id, f"the result is {len(data)} bytes, over the Redis result cap of "
                                  f"{self.settings.result_max_bytes} bytes; configure a shared result_dir",
                          "result-too-large")
                return False
            fields["location"] = "redis"
        try:
            seconds = max(0.0, time.time() - float(meta.get("started") or time.time()))
            flat = [x for kv in fields.items() for x in kv]  # one HSET of them all in the script
            won = self._script("publish", [self.job_key(job_id), self.result_key(job_id), self.queued_key,
                                           self.stats_key],
                               [repr(time.time()), self._ttl_ms, stored, json.dumps(flat), job_id,
                                f"{seconds:.6f}", self.finished_channel])
        except BaseException:
            if tmp_final is not None:
                tmp_final.unlink(missing_ok=True)
            raise
        if won != 1 and tmp_final is not None:
            tmp_final.unlink(missing_ok=True)
        return won == 1

    def fail(self, job_id: str, reason: str, code: str = "render-failed", http_status: int = 500) -> bool:
        """Fail the job with ``reason`` (``http_status``: how the service reports it; 4xx for the
        reader's own errors, such as an option the renderer refuses)."""
        failed = self._script("fail", [self.job_key(job_id), self.queued_key],
                              [repr(time.time()), reason, code, self._ttl_ms, job_id, http_status,
                               self.finished_channel]) == 1
        if failed:
            self.count(failed=1, **({"timeouts": 1} if code == "timeout" else {}))
        return failed

    def lost(self, job_id: str, reason: str) -> bool:
        """The worker process running ``job_id`` died; the job is queued again for redelivery."""
        lost = self._script("lost", [self.job_key(job_id), self.queued_key], [reason, job_id]) == 1
        if lost:
            self.count(retried=1, restarts_died=1)
        return lost

    def set_progress(self, job_id: str, progress: float) -> None:
        self._call(self.r.hset, self.job_key(job_id), "progress", f"{progress:.3f}")
