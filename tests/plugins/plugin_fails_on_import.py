"""Fixture: a plugin that fails while it is imported."""

raise ImportError("plugin_fails_on_import needs the library 'no-such-library', which is not installed")
