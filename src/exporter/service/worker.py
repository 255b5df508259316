"""What runs inside one worker process of the embedded backend.

A worker is started with the ``spawn`` method (a fresh interpreter, not a fork of the threaded
server), imports the engine and the renderers, loads the corpus and renders a warm-up print
before it reports ready, so the first reader's job pays no import or first-render cost.  It then
runs jobs one at a time, in its main thread (where the engine's own time limit applies), and
reports each result with its resident memory so the parent can recycle it.

Messages (tuples over a pipe):

* parent → worker: ``("job", id, request_dict, output_path)``, ``("canary",)``, ``None`` (stop);
* worker → parent: ``("ready", pid, rss, warm_error)``, ``("done", id, result_dict, rss)``,
  ``("failed", id, reason, rss, http_status)``, ``("canary", error_or_None, rss)``.
"""

from __future__ import annotations

import gc
import os
import signal
import tempfile
from typing import Any


def rss_bytes() -> int:
    """Resident set size of this process (Linux ``/proc``; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:400]
    return text or type(exc).__name__


class Runner:
    """The engine inside a worker, with the canary and warm-up renders."""

    def __init__(self, settings: dict[str, Any]) -> None:
        from ..engine import Engine

        self.settings = settings
        self.engine = Engine(store=settings.get("store"))
        self.scratch = settings["scratch"]

    def request(self, data: dict[str, Any]):
        from ..engine import ExportRequest

        return ExportRequest(**data)

    def export(self, data: dict[str, Any], output: str) -> dict[str, Any]:
        return self.engine.export(self.request(data), output).as_dict()

    def canary(self, formats: list[str], timeout: float | None = None) -> str | None:
        """Render the first entry of the corpus in each of ``formats``; the reason it failed, if it did."""
        corpus = self.engine.load(self.settings["corpus"])
        if not corpus.entries:
            return "the corpus has no entries"
        first = corpus.entries[0].id
        for name in formats:
            if name not in self.engine.plugins.formats:
                continue
            fd, path = tempfile.mkstemp(dir=self.scratch, prefix=".canary-", suffix="." + name)
            os.close(fd)
            try:
                self.engine.export(self.request({
                    "format": name, "entries": first, "corpus": self.settings["corpus"], "annotations": "none",
                    "accept_terms": True, "timeout": timeout}), path)
            except BaseException as exc:  # reported to the parent, which decides
                return f"{name}: {_one_line(exc)}"
            finally:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
        return None


def _start(settings: dict[str, Any]) -> tuple[Runner | None, str | None]:
    """The runner and its warm-up error; no runner (and why) when the engine cannot start."""
    try:
        runner = Runner(settings)
    except BaseException as exc:  # e.g. an annotation store that is not initialised or not reachable
        return None, f"the worker could not start: {_one_line(exc)}"
    return runner, runner.canary(settings["warm_formats"])  # no limit: the first render imports


#: The young-generation threshold of a worker: the one the PDF render raises it to while it runs.
GC_THRESHOLD = 20000


def keep_collections_between_jobs() -> None:
    """Leave the collector's young-generation threshold raised for good in this worker.

    A PDF render raises it while it runs and puts it back when it ends, which sets off, at that
    moment, the collection the render put off -- before the worker can answer.  In a worker the
    threshold stays raised instead, and :func:`collect_after_job` runs that collection once the
    answer is sent, while the reader's file is on its way.
    """
    threshold = gc.get_threshold()
    gc.set_threshold(max(GC_THRESHOLD, threshold[0]), *threshold[1:])


def collect_after_job() -> None:
    """The young generation's collection, after a job's answer is sent (see above)."""
    gc.collect(0)


def main(conn, settings: dict[str, Any]) -> None:
    """Worker process entry point.

    A worker whose engine cannot start (its annotation store is not initialised or not
    reachable) stays up and answers every job and canary with the reason, trying to start again
    each time: ending would make the pool start another in a loop, and the jobs given to it
    would fail as "the worker process ended" with no reason.
    """
    # Ctrl-C in a terminal reaches the whole process group: the parent decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from ..errors import ExporterError

    keep_collections_between_jobs()
    runner, warm_error = _start(settings)
    conn.send(("ready", os.getpid(), rss_bytes(), warm_error))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if msg is None:
            return
        if runner is None:
            runner, why = _start(settings)
        if msg[0] == "canary":
            error = why if runner is None else runner.canary(settings["canary_formats"], settings["time_limit"])
            conn.send(("canary", error, rss_bytes()))
            continue
        _, job_id, data, output = msg
        if runner is None:
            conn.send(("failed", job_id, why, rss_bytes(), 503))
            continue
        try:
            result = runner.export(data, output)
        except ExporterError as exc:
            from .problems import from_engine

            # the HTTP status the error would have had before queueing (a bad option found by
            # the renderer is still the reader's error, not the service's)
            conn.send(("failed", job_id, str(exc), rss_bytes(), from_engine(exc).status))
        except BaseException as exc:  # never let one job end the worker silently
            conn.send(("failed", job_id, f"the export failed: {type(exc).__name__}: {_one_line(exc)}",
                       rss_bytes(), 500))
        else:
            conn.send(("done", job_id, result, rss_bytes()))
        collect_after_job()
