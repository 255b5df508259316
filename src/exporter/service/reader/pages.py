"""The reader's page routes: ``/`` (table of contents), ``/entries/{id}`` and its text fragment.

Reading needs no JavaScript: the pages are complete HTML. The text fragment
(``/entries/{id}/text``) is the same layer rendered for the reader named by the request's token,
which the page's script swaps in after signing in or annotating.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles

from ...engine import LAYERS, ExportRequest, lookup_entry
from ...errors import ExporterError
from ...model import Annotation, Block, Entry, PageBreak
from ...view import LAYER_TITLES, details_rows, inline_html, toc_labels
from ..auth import Identity, TokenError
from ..problems import Problem

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup

#: The reader's pages load nothing from elsewhere and run no inline script or style.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}
READING_LAYERS = ("translation", "transcription", "text")
STATIC = "/reader/static"


def environment() -> Environment:
    """The Jinja environment of the reader's templates (autoescape on for every template)."""
    from jinja2 import Environment, PackageLoader

    return Environment(loader=PackageLoader("exporter.service.reader", "templates"), autoescape=True,
                       trim_blocks=True, lstrip_blocks=True)


def print_layers(names: list[str], chosen: str | None) -> tuple[list[tuple[str, str]], str]:
    """The Print dialog's layer options as values the engine takes, and the one selected.

    An entry whose one layer is neither a translation nor a transcription (the FRUS volume's
    ``text``) prints all its text: its option is ``both``, under the layer's own title.
    """
    options = [(n, LAYER_TITLES.get(n, n.title())) for n in names if n in LAYERS and n != "both"]
    if len(names) > 1:
        options.append(("both", "Both layers"))
    elif names and not options:
        options.append(("both", LAYER_TITLES.get(names[0], names[0].title())))
    values = [value for value, _ in options]
    return options, chosen if chosen in values else "both"


def layer_html(blocks: list[Block], layer: str, start_page: str | None) -> Markup:
    """A layer's blocks as HTML: a "Page N" marker where the source page changes, the notes'
    calls linked to the notes, and the annotations as highlights (all text escaped)."""
    from markupsafe import Markup, escape

    out: list[str] = []
    active: set[int] = set()

    def marker(label: str) -> str:
        lab = escape(label)
        return (f'<span class="page-marker" id="page-{escape(layer)}-{lab}" data-page="{lab}">'
                f'Page {lab}</span>')

    opens_with_break = bool(blocks and blocks[0].inlines and isinstance(blocks[0].inlines[0], PageBreak))
    if start_page and not opens_with_break:
        out.append(f'<p class="page-start">{marker(start_page)}</p>')
    for block in blocks:
        parts: list[str] = []
        run: list[Any] = []
        for item in block.inlines:
            if isinstance(item, PageBreak):
                parts.append(str(inline_html(run, "link", active)))
                parts.append(marker(item.label))
                run = []
            else:
                run.append(item)
        parts.append(str(inline_html(run, "link", active)))
        out.append(f'<p class="block block-{escape(block.kind)}">{"".join(parts)}</p>')
    return Markup("\n".join(out))


@dataclass
class AnnotationView:
    """One annotation of the side list."""

    number: int
    slug: str | None
    url: str | None
    exact: str
    body: str
    tags: list[str]
    creator: str
    creator_name: str
    visibility: str
    group: str | None
    page: str | None
    mine: bool


def install(app: FastAPI, service: Any, identity: Any) -> None:
    """Mount the reader's page (``/``, ``/entries/{id}``, ``/reader/static``) on ``app``."""
    env = environment()
    config = service.config
    static = files("exporter.service.reader") / "static"
    app.mount(STATIC, StaticFiles(directory=str(static)), name="reader-static")

    def corpus():
        return service.engine.load(config.corpus_path)

    def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(template).render(static=STATIC, **context)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def not_found(message: str) -> HTMLResponse:
        return page("error.html", status=404, title="Not found", message=message)

    def reader_of(request: Request) -> Identity | None:
        try:
            return service.verifier.identity(request.headers.get("authorization"))
        except TokenError:
            return None

    known: dict[str, tuple[int, dict[str, str]]] = {}

    def slugs(volume: str) -> dict[str, str]:
        """The protocol's slug of each stored annotation, by the IRI the engine knows it by
        (from the W3C endpoints' per-revision cache of the container; rebuilt when it changes)."""
        containers = getattr(service, "containers", None)
        if containers is None:
            return {}
        revision, rows = containers.rows(volume)
        cached = known.get(volume)
        if cached is not None and cached[0] == revision:
            return cached[1]
        out: dict[str, str] = {}
        for row in rows:
            out[row.iri] = row.slug
            doc_id = row.document.get("id")
            if isinstance(doc_id, str):
                out[doc_id] = row.slug
        known[volume] = (revision, out)
        return out

    def assembled(entry_id: str, user: str | None) -> Entry:
        # The service's own request: the configured corpus and limit, and a reader the archive
        # does not know refused as the API refuses them.
        req: ExportRequest = service.request(Identity(user), format="json", entries=entry_id,
                                             annotations="visible")
        return service.engine.assemble(req).entries[0]

    def annotation_views(entry: Entry, layer: str, user: str | None) -> list[AnnotationView]:
        known = slugs(entry.volume.id)
        out = []
        for a in entry.annotations:
            if a.layer != layer:
                continue
            slug = known.get(a.id)
            out.append(view_of(a, entry, slug, user))
        return out

    def view_of(a: Annotation, entry: Entry, slug: str | None, user: str | None) -> AnnotationView:
        return AnnotationView(number=a.number, slug=slug,
                              url=f"/annotations/{entry.volume.id}/{slug}" if slug else None,
                              exact=a.exact, body=a.body, tags=list(a.tags), creator=a.creator,
                              creator_name=a.creator_name or a.creator, visibility=a.visibility, group=a.group,
                              page=a.page, mine=bool(user) and a.creator == user)

    def text_context(entry_id: str, layer: str | None, user: str | None) -> dict[str, Any]:
        c = corpus()
        base = lookup_entry(c, entry_id)
        entry = assembled(base.id, user)
        names = [n for n in entry.layers]
        chosen = layer if layer in entry.layers else names[0] if names else None
        lay = entry.layers[chosen] if chosen else None
        notes = [n for n in entry.notes if n.layer in (chosen, "head")]
        same_volume = [e for e in c.entries if e.volume is base.volume]
        i = same_volume.index(base)
        labels = toc_labels(same_volume)
        return {
            "entry": entry, "label": labels[i], "layer": chosen,
            "layers": [(n, LAYER_TITLES.get(n, n.title())) for n in names],
            "print_layers": print_layers(names, chosen),
            "text": layer_html(lay.blocks, chosen, lay.start_page) if lay and chosen else "",
            "notes": notes, "details": details_rows(entry), "layer_iri": entry.layer_iri(chosen) if chosen else "",
            "annotations": annotation_views(entry, chosen, user) if chosen else [],
            "prev": (same_volume[i - 1], labels[i - 1]) if i > 0 else None,
            "next": (same_volume[i + 1], labels[i + 1]) if i + 1 < len(same_volume) else None,
            "following": list(zip(same_volume[i:], labels[i:], strict=True))[:200],
            "groups": sorted(service.annotation_store.reader(user)[2]) if user and service.annotation_store else [],
            "user": user, "print_limit": service.engine.print_limit_for(c, [base]),
        }

    @app.get("/", response_class=HTMLResponse, tags=["reader"], include_in_schema=False)
    async def toc() -> HTMLResponse:
        """The table of contents: every volume's entries in order, same-day entries numbered."""
        c = await run_in_threadpool(corpus)
        volumes = []
        for v in c.volumes:
            entries = [e for e in c.entries if e.volume is v]
            volumes.append((v, list(zip(entries, toc_labels(entries), strict=True))))
        return page("toc.html", title="Contents", volumes=volumes)

    @app.get("/entries/{entry_id}", response_class=HTMLResponse, tags=["reader"], include_in_schema=False)
    async def entry_page(entry_id: str, layer: str | None = None) -> HTMLResponse:
        """One entry in one layer (anonymous: public annotations only; the script adds the reader's)."""
        try:
            ctx = await run_in_threadpool(text_context, entry_id, layer, None)
        except ExporterError as exc:
            return not_found(str(exc))
        return page("entry.html", title=ctx["entry"].title, **ctx)

    @app.get("/entries/{entry_id}/text", response_class=HTMLResponse, tags=["reader"], include_in_schema=False)
    async def entry_text(entry_id: str, request: Request, layer: str | None = None) -> Response:
        """The layer's text and side list for the reader of the request's token (a fragment)."""
        who = reader_of(request)
        if who is None:
            return Response("the token is not valid", status_code=401, media_type="text/plain",
                            headers=SECURITY_HEADERS)
        try:
            ctx = await run_in_threadpool(text_context, entry_id, layer, who.user)
        except ExporterError as exc:
            return Response(str(exc), status_code=404, media_type="text/plain", headers=SECURITY_HEADERS)
        except Problem as exc:
            return Response(exc.detail, status_code=exc.status, media_type="text/plain", headers=SECURITY_HEADERS)
        return page("text.html", **ctx)
