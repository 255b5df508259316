"""Registries reject duplicate names (naming both plugins) and unknown names (listing known ones)."""

from __future__ import annotations

import types

import pytest

from exporter import hookimpl
from exporter.errors import PluginError, UnknownNameError
from exporter.plugins import load_plugins
from exporter.registry import Format, Registry


def fmt(name):
    return Format(name=name, media_type="text/plain", extension="txt", render=lambda d, o: None, material=False)


def test_duplicate_names_both_plugins():
    reg = Registry("format")
    reg.add(fmt("x"), "first-plugin")
    with pytest.raises(PluginError,
                       match="format 'x' from plugin 'second' is already registered by plugin 'first-plugin'"):
        reg.add(fmt("x"), "second")


def test_unknown_name_lists_known():
    reg = Registry("style")
    reg.add(fmt("b"), "p")
    reg.add(fmt("a"), "p")
    with pytest.raises(UnknownNameError, match="unknown style 'zz'; known styles: a, b"):
        reg.get("zz")


@pytest.mark.parametrize("bad", ["", "Upper", "has space", "../x", "a" * 80, None])
def test_invalid_names(bad):
    with pytest.raises(PluginError):
        Registry("format").add(fmt("x").__class__(**{**fmt("x").__dict__, "name": bad}), "p")


def test_builtins_register_like_plugins_and_duplicates_are_reported():
    dup = types.SimpleNamespace()

    @hookimpl
    def exporter_register_formats(register):
        register(fmt("json"))
        register(fmt("fine"))

    dup.exporter_register_formats = exporter_register_formats
    plugins = load_plugins(env={}, entry_points=[], extra=[("dup-plugin", dup)])
    assert plugins.formats.get("json").plugin == "json"
    assert plugins.formats.get("fine").plugin == "dup-plugin"
    [failure] = [f for f in plugins.failures if f.name == "dup-plugin"]
    assert "already registered by plugin 'json'" in failure.reason


def test_each_engine_builds_its_own_plugin_manager():
    a, b = load_plugins(env={}, entry_points=[]), load_plugins(env={}, entry_points=[])
    assert a.pm is not b.pm
    a.formats.remove("json")
    assert "json" in b.formats
