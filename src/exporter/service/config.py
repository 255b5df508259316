"""Service configuration: a TOML file, then environment overrides, then command-line options.

Every key has a default, so no file at all serves the bundled sample.  An environment variable
``EXPORTER_<SECTION>_<KEY>`` (e.g. ``EXPORTER_JOBS_WORKERS=4``) overrides ``[section] key``;
values are read as the key's type.  See ``docs/service.sample.toml`` for every key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import UsageError

ALGORITHMS = ("HS256", "EdDSA", "RS256")


@dataclass
class CorpusConfig:
    #: A TEI volume or a corpus folder; empty means the bundled sample.
    path: str = ""


@dataclass
class ServiceSection:
    host: str = "127.0.0.1"
    port: int = 8080
    #: Job state, results, the audit log and the generated signing key live here.
    state_dir: str = ""
    #: Request bodies larger than this are refused with 413.
    max_body_bytes: int = 65536


@dataclass
class AuthConfig:
    algorithm: str = "HS256"
    #: HS256: the shared secret (or a file holding it); empty means a key created on first use
    #: in the state folder.
    secret: str = ""
    secret_file: str = ""
    #: EdDSA / RS256: the PEM public key that verifies tokens, and (for ``exporter token`` only)
    #: the PEM private key that signs them.
    public_key_file: str = ""
    private_key_file: str = ""
    issuer: str = "archive-exporter"
    audience: str = "archive-exporter"
    #: Seconds of clock skew tolerated on ``exp``.
    leeway: int = 30
    default_ttl: int = 3600


@dataclass
class PolicyConfig:
    #: Distinct source pages per print; 0 means the archive's (the engine's) limit.
    print_limit: int = 0


@dataclass
class JobsConfig:
    #: ``local`` (worker processes on this machine, the built-in backend), or ``module:factory``
    #: naming a callable ``factory(config, engine_factory)`` that returns a :class:`JobBackend`.
    backend: str = "local"
    workers: int = 2
    #: Queued jobs waiting for a worker; more are refused with 429.
    queue_size: int = 32
    #: Seconds a render may run before its worker process is killed and replaced.
    time_limit: float = 120.0
    #: A worker is replaced after this many jobs, or when its resident memory passes the cap.
    max_jobs_per_worker: int = 500
    max_rss_mb: int = 1024
    #: Times a job is started again after its worker died under it (not for time-outs).
    retries: int = 1
    #: Seconds a finished job's file is kept.
    result_ttl: int = 3600
    #: Seconds between canary jobs (readiness); a canary older than three intervals is stale.
    canary_interval: float = 20.0
    #: Seconds a shutdown waits for running jobs to finish.
    drain_timeout: float = 120.0


@dataclass
class QuotaConfig:
    #: Printed source pages per reader per UTC day; 0 means no quota.
    pages_per_day: int = 0


@dataclass
class StoreConfig:
    #: The annotation store: an SQLite file or a postgresql:// URL.  Empty means an embedded
    #: SQLite store in the state folder, filled from the corpus folder on first start.
    url: str = ""


@dataclass
class Config:
    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    service: ServiceSection = field(default_factory=ServiceSection)
    auth: AuthConfig = field(default_factory=AuthConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    jobs: JobsConfig = field(default_factory=JobsConfig)
    quotas: QuotaConfig = field(default_factory=QuotaConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    #: Where the file was read from (relative paths in it are relative to its folder).
    source: str = ""

    @property
    def state_path(self) -> Path:
        return Path(self.service.state_dir) if self.service.state_dir else default_state_dir()

    @property
    def store_url(self) -> str:
        """The annotation store's URL (the embedded SQLite file when none is configured)."""
        return self.store.url or f"sqlite:///{(self.state_path / 'annotations.sqlite').resolve()}"

    @property
    def corpus_path(self) -> str | None:
        return self.corpus.path or None

    def as_dict(self) -> dict[str, Any]:
        return {s.name: dict(vars(getattr(self, s.name))) for s in fields(self) if s.name != "source"}


SECTIONS = {"corpus": CorpusConfig, "service": ServiceSection, "auth": AuthConfig,
            "policy": PolicyConfig, "jobs": JobsConfig, "quotas": QuotaConfig, "store": StoreConfig}
#: Short names of job backends (``[jobs] backend``, ``--backend``) besides ``local``.
BACKEND_NAMES = {"celery": "exporter.service.celery_backend.backend:make_backend"}
#: Sections of other job backends, which read and check them themselves.
BACKEND_SECTIONS = ("celery",)
_PATH_KEYS = {("corpus", "path"), ("service", "state_dir"), ("auth", "secret_file"),
              ("auth", "public_key_file"), ("auth", "private_key_file")}


def default_state_dir() -> Path:
    """``$EXPORTER_STATE``, else ``$XDG_STATE_HOME/exporter``, else ``~/.local/state/exporter``."""
    if os.environ.get("EXPORTER_STATE"):
        return Path(os.environ["EXPORTER_STATE"])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "exporter"


def _coerce(section: str, key: str, value: Any, kind: type, origin: str) -> Any:
    where = f"{origin}: [{section}] {key}"
    if kind is bool:
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    try:
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        if kind in (int, float) and isinstance(value, bool):
            raise ValueError
        return kind(value)
    except (TypeError, ValueError):
        raise UsageError(f"{where}: expected {kind.__name__}, got {value!r}") from None


def read_toml(path: str | os.PathLike) -> dict[str, Any]:
    """The config file ``path`` as TOML, or a one-line :class:`UsageError` naming it (shared by the
    service's config and the Celery backend's settings, which read the same file)."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"--config {path}: cannot read it ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"--config {path}: not valid TOML ({exc})") from None


def load_config(path: str | os.PathLike | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read ``path`` (TOML) if given, then apply ``EXPORTER_<SECTION>_<KEY>`` overrides."""
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    base = Path.cwd()
    if path is not None:
        data = read_toml(path)
        base = Path(path).resolve().parent
    config = Config(source=str(path or ""))
    for name, value in data.items():
        if name in BACKEND_SECTIONS and isinstance(value, dict):
            continue  # read by that backend (exporter.service.celery_backend.settings for [celery])
        if name not in SECTIONS or not isinstance(value, dict):
            raise UsageError(f"--config {path}: unknown section [{name}]; known: {', '.join(SECTIONS)}")
    for section, cls in SECTIONS.items():
        target = getattr(config, section)
        given = data.get(section, {})
        for f in fields(cls):
            kind = type(getattr(target, f.name))
            if f.name in given:
                value = _coerce(section, f.name, given[f.name], kind, f"--config {path}")
                if (section, f.name) in _PATH_KEYS and value and not Path(value).is_absolute():
                    value = str(base / value)  # relative to the file, not to where the command runs
                setattr(target, f.name, value)
            var = f"EXPORTER_{section.upper()}_{f.name.upper()}"
            if var in env:
                setattr(target, f.name, _coerce(section, f.name, env[var], kind, var))
        unknown = set(given) - {f.name for f in fields(cls)}
        if unknown:
            raise UsageError(f"--config {path}: unknown key(s) in [{section}]: {', '.join(sorted(unknown))}")
    _validate(config)
    return config


def _validate(config: Config) -> None:
    if config.auth.algorithm not in ALGORITHMS:
        raise UsageError(f"[auth] algorithm {config.auth.algorithm!r}: expected one of {', '.join(ALGORITHMS)}")
    if config.auth.algorithm != "HS256" and not config.auth.public_key_file:
        raise UsageError(f"[auth] algorithm {config.auth.algorithm} needs public_key_file")
    config.jobs.backend = BACKEND_NAMES.get(config.jobs.backend, config.jobs.backend)
    if config.jobs.backend != "local" and ":" not in config.jobs.backend:
        raise UsageError(f"[jobs] backend {config.jobs.backend!r}: 'local', or 'module:factory' of "
                         f"another backend")
    for key in ("workers", "queue_size", "max_jobs_per_worker", "max_rss_mb"):
        if getattr(config.jobs, key) < 1:
            raise UsageError(f"[jobs] {key} must be at least 1")
    if config.jobs.time_limit <= 0:
        raise UsageError("[jobs] time_limit must be positive")
    if config.policy.print_limit < 0 or config.quotas.pages_per_day < 0:
        raise UsageError("[policy] print_limit and [quotas] pages_per_day cannot be negative")
