"""The reader's page: the archive's reference viewer, served at ``/`` by ``exporter serve``.

Server-rendered HTML (Jinja2, autoescaped) over the engine's public API: the table of contents,
an entry in one layer with its page markers, notes, Document Details and the annotations the
reader may see (the engine's visibility, the same as the W3C endpoints'). One small ES module,
``static/reader.js``, adds signing in, annotating and the dialogs; everything it does goes
through the service's ``/v1`` and ``/annotations`` endpoints.
"""

from .pages import install

__all__ = ["install"]
