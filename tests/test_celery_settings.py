"""Settings of the Celery backend: the config table, the environment, the limits' order, and
clear one-line errors from the console scripts (no Redis needed)."""

from __future__ import annotations

import pytest

from conftest import run_cli
from exporter.errors import UsageError
from exporter.service.celery_backend.settings import DEFAULT_BROKER, load_settings


def test_defaults_and_the_broker_url_order(tmp_path):
    assert load_settings(env={}).broker_url == DEFAULT_BROKER
    config = tmp_path / "c.toml"
    config.write_text('[celery]\nbroker_url = "redis://a:1/0"\n[corpus]\npath = "vol.xml"\n'
                      '[policy]\nprint_limit = 8\n')
    s = load_settings(config, env={})
    assert s.broker_url == "redis://a:1/0"
    assert s.corpus == str(tmp_path / "vol.xml") and s.print_limit == 8  # the service's keys, shared
    assert load_settings(config, env={"EXPORTER_BROKER_URL": "redis://b:2/0"}).broker_url == "redis://b:2/0"
    assert load_settings(config, broker="redis://c:3/0",
                         env={"EXPORTER_BROKER_URL": "redis://b:2/0"}).broker_url == "redis://c:3/0"


@pytest.mark.parametrize("table, message", [
    ("soft_time_limit = 100\ntime_limit = 90", "soft_time_limit (100) < time_limit (90)"),
    ("time_limit = 400", "time_limit (400) < visibility_timeout (300)"),
    ("max_attempts = 0", "max_attempts must be at least 1"),
    ("broker_url = \"amqp://x\"", "expected a redis:// URL"),
    ("colour = \"blue\"", "unknown [celery] setting 'colour'"),
])
def test_bad_settings_are_refused(tmp_path, table, message):
    config = tmp_path / "c.toml"
    config.write_text("[celery]\n" + table + "\n")
    with pytest.raises(UsageError) as err:
        load_settings(config, env={})
    assert message in str(err.value)


def test_console_scripts_refuse_bad_settings_in_one_line(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[celery]\ntime_limit = 400\n")
    for args in (["worker", "--config", str(config)],
                 ["serve", "--config", str(config), "--backend", "celery", "--port", "0"]):
        proc = run_cli(*args)
        err = proc.stderr.decode().strip().splitlines()
        assert proc.returncode == 2, (args, proc.stderr)
        assert err[-1].startswith("exporter: error:") and "visibility_timeout" in err[-1], err
        assert "Traceback" not in proc.stderr.decode()
