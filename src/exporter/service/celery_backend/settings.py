"""Settings of the Celery job backend: a ``[celery]`` table in the TOML config, env overrides.

Every setting has a default, so ``exporter worker`` and ``exporter serve --backend celery`` run
with no config against a Redis on 127.0.0.1:6379 and the bundled sample corpus.  The broker URL
comes from, in order: ``--broker``, ``EXPORTER_BROKER_URL``, the config, the default.

The time limits are checked against each other: soft < hard < Redis ``visibility_timeout``.  A
message that is not acknowledged within the visibility timeout is handed to another worker, so
a render that could outlive it would run twice; the hard limit ends it first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ...errors import UsageError

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
ENV_BROKER = "EXPORTER_BROKER_URL"


@dataclass(frozen=True)
class CelerySettings:
    """What a worker and a service node need to agree on (plus per-node worker settings)."""

    broker_url: str = DEFAULT_BROKER
    #: The corpus the workers render from (``None``: the bundled sample); a job's own corpus,
    #: when the service names one, wins.  Every node must see it at the same path.
    corpus: str | None = None
    print_limit: int | None = None
    #: The annotation store the workers read (an SQLite file or a postgresql:// URL): the
    #: service's, from the same config (``[store] url``, else the embedded store in its state
    #: folder, which only workers on the service's machine reach).
    store: str | None = None
    #: Whether ``store`` is that embedded store, which a worker creates and fills if it is new,
    #: as the service does (a configured store is created by ``exporter store init``).
    store_embedded: bool = False
    # -- worker --------------------------------------------------------------------------
    concurrency: int = 1
    soft_time_limit: float = 60.0
    time_limit: float = 90.0
    visibility_timeout: float = 300.0
    #: Deliveries of one job before it is failed as poison (Celery itself does not count).
    max_attempts: int = 3
    max_tasks_per_child: int = 500
    max_memory_per_child_mb: int = 1024
    # -- results and job state -----------------------------------------------------------
    #: Results up to this size are kept in Redis; larger ones need ``result_dir``.
    result_max_bytes: int = 16 * 1024 * 1024
    #: A folder every node mounts: when set, every result is a file there instead.
    result_dir: str | None = None
    result_ttl: float = 3600.0
    key_prefix: str = "exporter:"
    queue: str = "exporter"
    # -- health --------------------------------------------------------------------------
    canary_interval: float = 10.0
    canary_max_age: float = 45.0
    #: Seconds a client waits for Redis before calling it unreachable.
    redis_timeout: float = 2.0
    #: The ``Retry-After`` given while Redis is unreachable.
    retry_after: int = 5

    def __post_init__(self) -> None:
        if not (0 < self.soft_time_limit < self.time_limit < self.visibility_timeout):
            raise UsageError(
                f"celery time limits must satisfy 0 < soft_time_limit ({self.soft_time_limit:g}) < "
                f"time_limit ({self.time_limit:g}) < visibility_timeout ({self.visibility_timeout:g})")
        if self.max_attempts < 1:
            raise UsageError("celery max_attempts must be at least 1")
        if self.concurrency < 1:
            raise UsageError("celery concurrency must be at least 1")
        if not self.broker_url.startswith(("redis://", "rediss://", "unix://")):
            raise UsageError(f"broker {self.broker_url!r}: expected a redis:// URL")

    def with_overrides(self, **changes: Any) -> CelerySettings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def load_settings(config: str | os.PathLike | None = None, broker: str | None = None,
                  env: Mapping[str, str] | None = None, defaults: Mapping[str, Any] | None = None,
                  **overrides: Any) -> CelerySettings:
    """Settings from ``defaults``, then ``config``, the environment and the arguments.

    From the config file: the ``[celery]`` table, and the corpus (``[corpus] path``) and print
    limit (``[policy] print_limit``) the service reads from the same file, so that a service
    node and its workers share one file.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {k: v for k, v in (defaults or {}).items() if v is not None}
    if "store" not in values:
        # The store the service with this config reads ([store] url, EXPORTER_STORE_URL, or
        # its embedded store), resolved by the service's own config reader.
        from ..config import load_config

        service = load_config(config, env=env)
        values["store"] = service.store_url
        values["store_embedded"] = not service.store.url
    if config is not None:
        from ..config import read_toml

        path = Path(config)
        data = read_toml(path)
        table = data.get("celery", {})
        if not isinstance(table, dict):
            raise UsageError(f"--config {config}: [celery] must be a table")
        corpus = (data.get("corpus") or {}).get("path") if isinstance(data.get("corpus"), dict) else None
        if corpus:
            corpus_path = Path(corpus)
            values["corpus"] = str(corpus_path if corpus_path.is_absolute() else path.resolve().parent / corpus_path)
        limit = (data.get("policy") or {}).get("print_limit") if isinstance(data.get("policy"), dict) else None
        if limit:
            values["print_limit"] = limit
        known = {f.name: f for f in fields(CelerySettings)}
        for key, value in table.items():
            if key not in known:
                raise UsageError(f"--config {config}: unknown [celery] setting {key!r}")
            values[key] = value
        if values.get("result_dir"):
            folder = Path(values["result_dir"])
            values["result_dir"] = str(folder if folder.is_absolute() else path.resolve().parent / folder)
    for key in ("corpus", "result_dir"):
        if values.get(key) == "":
            values[key] = None
    if env.get(ENV_BROKER):
        values["broker_url"] = env[ENV_BROKER]
    if broker:
        values["broker_url"] = broker
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return CelerySettings(**values)
    except TypeError as exc:
        raise UsageError(f"celery settings: {exc}") from None
