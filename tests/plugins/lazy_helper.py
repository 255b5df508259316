"""Fixture: a module first imported inside a render (see plugin_writes_outside.render_lazy_import)."""

GREETING = b"imported lazily inside render\n"
