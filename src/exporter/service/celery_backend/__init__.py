"""The Celery job backend: Redis as broker and job-state store, ``exporter worker`` nodes render.

Modules: :mod:`.settings` (config and env), :mod:`.store` (job state and results in Redis),
:mod:`.app` (the Celery app, delivery settings, tasks), :mod:`.worker` (a warm worker node),
:mod:`.client` (submitting and watching jobs), :mod:`.backend` (the service's job-backend
protocol on top of the client), :mod:`.local_redis` (a private redis-server for
tests and benchmarks).  Celery and redis-py are imported only here.  See docs/scaling.md.
"""
