"""Request counters and the Prometheus text exposition (format 0.0.4), without a client library."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.responses: dict[str, int] = defaultdict(int)  # status class -> count

    def response(self, status: int) -> None:
        with self._lock:
            self.responses[f"{status // 100}xx"] += 1

    def render(self, stats: dict[str, Any]) -> str:
        lines: list[str] = []

        def metric(name: str, kind: str, help_: str, samples: list[tuple[str, float]]) -> None:
            lines.append(f"# HELP {name} {help_}")
            lines.append(f"# TYPE {name} {kind}")
            for labels, value in samples:
                lines.append(f"{name}{labels} {value:g}" if isinstance(value, float) else f"{name}{labels} {value}")

        metric("exporter_queue_depth", "gauge", "Export jobs accepted and not yet started.",
               [("", stats.get("queue_depth", 0))])
        metric("exporter_jobs_running", "gauge", "Export jobs being rendered now.", [("", stats.get("running", 0))])
        metric("exporter_workers", "gauge", "Worker processes of the local backend.", [("", stats.get("workers", 0))])
        metric("exporter_jobs_total", "counter", "Export jobs finished, by outcome.",
               [('{outcome="done"}', int(stats.get("done", 0))), ('{outcome="failed"}', int(stats.get("failed", 0))),
                ('{outcome="cancelled"}', int(stats.get("cancelled", 0)))])
        metric("exporter_job_failures_total", "counter", "Export jobs that failed (time-outs included).",
               [("", int(stats.get("failed", 0)))])
        metric("exporter_job_timeouts_total", "counter", "Renders stopped at the time limit.",
               [("", int(stats.get("timeouts", 0)))])
        metric("exporter_job_retries_total", "counter", "Jobs started again after their worker died.",
               [("", int(stats.get("retried", 0)))])
        restarts = [(f'{{reason="{r}"}}', int(stats.get(f"restarts_{r}", 0)))
                    for r in ("died", "time_limit", "cancelled", "recycled_jobs", "recycled_rss")]
        metric("exporter_worker_restarts_total", "counter", "Worker processes replaced, by reason.", restarts)
        cumulative, samples = 0, []
        for bound, count in stats.get("buckets", []):
            cumulative += count
            samples.append((f'{{le="{bound:g}"}}', cumulative))
        samples.append(('{le="+Inf"}', int(stats.get("job_seconds_count", 0))))
        lines.append("# HELP exporter_job_seconds Seconds from a worker taking a job to its end.")
        lines.append("# TYPE exporter_job_seconds histogram")
        for labels, value in samples:
            lines.append(f"exporter_job_seconds_bucket{labels} {value}")
        lines.append(f"exporter_job_seconds_sum {float(stats.get('job_seconds_sum', 0.0)):.6f}")
        lines.append(f"exporter_job_seconds_count {int(stats.get('job_seconds_count', 0))}")
        rss = stats.get("worker_rss_bytes", {})
        metric("exporter_worker_rss_bytes", "gauge", "Resident memory of each worker after its last job.",
               [(f'{{pid="{pid}"}}', value) for pid, value in sorted(rss.items())])
        with self._lock:
            counts = dict(self.responses)
        metric("exporter_http_responses_total", "counter", "HTTP responses, by status class.",
               [(f'{{code="{c}"}}', counts.get(c, 0)) for c in ("2xx", "3xx", "4xx", "5xx")])
        return "\n".join(lines) + "\n"
