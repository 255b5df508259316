"""``exporter serve``: the archive's export service (HTTP API over the engine).

Modules:

* :mod:`.config` -- the TOML configuration and its environment overrides;
* :mod:`.auth` -- JWT identity (reading and issuing tokens, the local signing key);
* :mod:`.problems` -- RFC 9457 problem responses and the mapping of engine errors;
* :mod:`.jobs` -- the job-backend protocol and job records;
* :mod:`.store` -- job state, the audit log and quota accounting in SQLite (WAL);
* :mod:`.local` -- the embedded backend: a pool of spawned worker processes;
* :mod:`.worker` -- what runs inside a worker process;
* :mod:`.metrics` -- counters and the Prometheus text exposition;
* :mod:`.app` -- the FastAPI application (routes are thin calls into the engine);
* :mod:`.celery_backend` -- the second job backend: Celery workers, Redis (docs/scaling.md);
* :mod:`.batch` -- ``exporter batch``: many pieces through a job backend, resumable.

FastAPI, uvicorn and PyJWT are imported only here, never by the other commands; Celery and
redis-py only in :mod:`.celery_backend`.
"""
