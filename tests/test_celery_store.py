"""Celery workers read the annotation store the service writes: on SQLite and on PostgreSQL.

An annotation written to the store after the worker node started (and warmed) is in the next
print the node renders, and only for the readers who may see it.  Real processes: a
redis-server, an ``exporter worker`` node, the PostgreSQL server of ``scripts/postgres.sh``.
"""

from __future__ import annotations

import subprocess

from exporter.engine import ExportRequest
from exporter.service.celery_backend.client import CeleryJobs
from exporter.service.celery_backend.settings import load_settings
from support.celery_workers import Node, fixture_env, plugin_site, write_config
from test_store_basics import _new_annotation

ENTRY = "kd1-1918-03-06"


def _print_text(jobs: CeleryJobs, user: str) -> str:
    job_id = jobs.submit(ExportRequest(format="pdf", entries=ENTRY, layer="translation", user=user,
                                       annotations="visible", accept_terms=True), user=user)
    job = jobs.wait(job_id, 120)
    assert job is not None and job.state == "done", job and job.fields
    pdf = jobs.result(job_id)
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return " ".join(out.decode().split())


def test_a_worker_prints_what_the_store_holds_now(redis_server, sample_store, store_url, tmp_path):
    backend = "pg" if store_url.startswith("postgresql") else "sqlite"
    config = write_config(tmp_path / "exporter.toml", redis_server.url, f"store-{backend}")
    with open(config, "a") as f:
        f.write(f'[store]\nurl = "{store_url}"\n')
    env = fixture_env(plugin_site(tmp_path / "site"))
    node = Node(f"store-{backend}", config, env, tmp_path).start()
    jobs = CeleryJobs(load_settings(config, env={}))
    try:
        node.wait_ready()
        note = "Walruses were noted in the live store"
        assert note not in _print_text(jobs, "tomas")
        sample_store.create(volume="kd1", entry=ENTRY, layer="translation", creator="tomas", visibility="private",
                            group=None, document=_new_annotation(note, creator="tomas", visibility="private"))
        assert note in _print_text(jobs, "tomas")
        assert note not in _print_text(jobs, "irina")  # private to its author, on the worker too
    finally:
        jobs.close()
        node.stop()
