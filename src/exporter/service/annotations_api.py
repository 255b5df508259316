"""The W3C Web Annotation Protocol over the annotation store, and the archive's moderation.

One container per volume at ``/annotations/{volume}/``, each annotation at
``/annotations/{volume}/{id}``.  Reads follow the engine's visibility rules
(:func:`exporter.engine.access.may_see`: private to the author, group to its members, public to
all, hidden ones only to the author and the moderators); writes go through
:func:`exporter.engine.incoming.check_annotation`, so what is stored is the JSON-LD the
annotation exports write, and the engine's next print or export includes it.

Headers follow the protocol's MUSTs: ``Content-Type`` with the anno.jsonld profile, ``ETag``,
``Allow``, ``Vary``, ``Link`` type headers (and ``constrainedBy`` on containers),
``Content-Location`` and ``Accept-Post`` on containers; containers are paged through
``AnnotationPage`` ``first``/``next``/``prev`` and honour the ``Prefer`` forms
(``PreferContainedIRIs``, ``PreferContainedDescriptions``, ``PreferMinimalContainer``).
"""


import hashlib
import json
import re
import threading
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..engine import Rejected, may_see
from ..errors import ExporterError
from ..store import Conflict, StoredAnnotation
from .auth import Identity
from .problems import Problem

W3C_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
LDP_CONTEXT = "http://www.w3.org/ns/ldp.jsonld"
MEDIA_TYPE = f'application/ld+json; profile="{W3C_CONTEXT}"'
LDP_RESOURCE = '<http://www.w3.org/ns/ldp#Resource>; rel="type"'
LDP_CONTAINER = '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"'
CONSTRAINED_BY = '<http://www.w3.org/TR/annotation-protocol/>; rel="http://www.w3.org/ns/ldp#constrainedBy"'
PREFER_IRIS = "http://www.w3.org/ns/oa#PreferContainedIRIs"
PREFER_DESCRIPTIONS = "http://www.w3.org/ns/oa#PreferContainedDescriptions"
PREFER_MINIMAL = "http://www.w3.org/ns/ldp#PreferMinimalContainer"
CONTAINER_ALLOW = "GET, HEAD, OPTIONS, POST"
ANNOTATION_ALLOW = "GET, HEAD, OPTIONS, PUT, DELETE"
#: Annotations per container page.
PAGE_SIZE = 100
_INCLUDE = re.compile(r'include\s*=\s*"([^"]*)"', re.I)
_SLUG = re.compile(r"^[A-Za-z0-9._~-]{1,200}$")


def preferences(prefer: str | None) -> set[str]:
    """The IRIs a ``Prefer: return=representation; include="…"`` header asks for."""
    if not prefer or "return=representation" not in prefer.replace(" ", "").lower():
        return set()
    found: set[str] = set()
    for m in _INCLUDE.finditer(prefer):
        found.update(m.group(1).split())
    return found


def negotiate(accept: str | None) -> str:
    """The media type to answer with: JSON-LD with the anno profile (or plain JSON); else 406."""
    if not accept:
        return MEDIA_TYPE
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if any(k in ("application/ld+json", "*/*", "application/*") for k in kinds):
        return MEDIA_TYPE
    if "application/json" in kinds:
        return "application/json"
    raise Problem(406, "annotations are served as application/ld+json (profile anno.jsonld) or application/json")


class Containers:
    """What the routes share: the store, the engine, and per-revision caches of the containers."""

    def __init__(self, service) -> None:
        self.service = service
        self.store = service.annotation_store
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[int, list[StoredAnnotation]]] = {}

    def corpus(self):
        """The volumes and entries (from the corpus files; the annotations are the store's)."""
        return self.service.engine.load_files(self.service.config.corpus_path)

    def reader(self, reader: Identity) -> tuple[str, set[str], bool]:
        """The reader's display name, groups and whether they moderate (from the store)."""
        if not reader.user:
            return "", set(), False
        name, role, groups = self.store.reader(reader.user)
        return name, groups, role == "moderator"

    def volume_ids(self, corpus=None) -> list[str]:
        return [v.id for v in (corpus if corpus is not None else self.corpus()).volumes]

    def check_volume(self, volume: str, corpus=None) -> None:
        """404 unless ``volume`` has a container (in ``corpus``, when the caller has it already)."""
        ids = self.volume_ids(corpus)
        if volume not in ids:
            raise Problem(404, f"no annotation container for volume '{volume[:100]}'; containers: "
                               + ", ".join(f"/annotations/{v}/" for v in ids))

    def rows(self, volume: str) -> tuple[int, list[StoredAnnotation]]:
        """Every stored annotation of ``volume`` (cached until the store changes)."""
        revision = self.store.revision()
        with self._lock:
            cached = self._cache.get(volume)
            if cached and cached[0] == revision:
                return cached
        rows = self.store.annotations([volume])
        with self._lock:
            self._cache[volume] = (revision, rows)
        return revision, rows

    def visible(self, volume: str, reader: Identity) -> tuple[int, list[StoredAnnotation]]:
        """The annotations of ``volume`` the reader may see, by the engine's rules."""
        revision, rows = self.rows(volume)
        _name, groups, moderator = self.reader(reader)
        return revision, [a for a in rows if may_see(a, reader.user, groups, moderator)]

    def find(self, volume: str, slug: str, reader: Identity) -> StoredAnnotation:
        """One annotation the reader may see; 404 otherwise (an invisible one is not there for them)."""
        self.check_volume(volume)
        row = self.store.get(volume, slug) if _SLUG.match(slug) else None
        if row is not None:
            _name, groups, moderator = self.reader(reader)
            if may_see(row, reader.user, groups, moderator):
                return row
        raise Problem(404, f"no annotation '{slug[:100]}' in /annotations/{volume}/")


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def container_iri(request: Request, volume: str) -> str:
    return f"{base_url(request)}/annotations/{volume}/"


def served(row: StoredAnnotation, request: Request) -> dict[str, Any]:
    """The stored document as served: its ``id`` is where the protocol serves it; an imported
    annotation's own IRI is kept as ``via``."""
    doc = dict(row.document)
    iri = container_iri(request, row.volume) + row.slug
    if doc.get("id") != iri:
        doc["via"] = doc.get("id")
        doc["id"] = iri
        doc = {k: doc[k] for k in ("@context", "id", "via") if k in doc} | doc
    return doc


def annotation_headers(row: StoredAnnotation, media_type: str) -> dict[str, str]:
    return {"Content-Type": media_type, "ETag": row.etag, "Allow": ANNOTATION_ALLOW,
            "Vary": "Accept, Authorization", "Link": LDP_RESOURCE}


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None, head: bool = False) -> Response:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = dict(headers or {})
    media = headers.pop("Content-Type", MEDIA_TYPE)
    if head:
        return Response(b"", status_code=status, headers={**headers, "Content-Length": str(len(data))},
                        media_type=media)
    return Response(data, status_code=status, headers=headers, media_type=media)


def _version(if_match: str | None, row: StoredAnnotation) -> None:
    """412 unless ``If-Match`` names the current ETag (or ``*``)."""
    if if_match is None:
        return
    tags = [t.strip().removeprefix("W/") for t in if_match.split(",")]
    if "*" not in tags and row.etag not in tags:
        raise Problem(412, f"the annotation has changed (its ETag is now {row.etag}); GET it and try again",
                      headers={"ETag": row.etag})


async def read_json(request: Request) -> Any:
    return parse_json(request, await request.body())


def parse_json(request: Request, raw: bytes) -> Any:
    """The JSON of a request body already read; 415 for another media type, 400 for bad JSON."""
    kind = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if kind not in ("application/ld+json", "application/json"):
        raise Problem(415, "send the annotation as application/ld+json (or application/json)")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Problem(400, f"the body is not valid JSON: {exc}") from None


def install(app: FastAPI, service, identity) -> None:
    """Add the protocol's routes and the moderation routes to ``app``."""
    containers = Containers(service)
    service.containers = containers
    Reader = Annotated[Identity, Depends(identity)]

    def writer(reader: Identity) -> str:
        if not reader.user:
            raise Problem(401, "writing annotations needs a token", headers={"WWW-Authenticate": "Bearer"})
        return reader.user

    async def call(fn, *args, **kwargs):
        try:
            return await run_in_threadpool(fn, *args, **kwargs)
        except Rejected as exc:
            raise Problem(exc.status, str(exc)) from None
        except Conflict as exc:
            raise Problem(412, str(exc)) from None
        except Problem:
            raise
        except ExporterError as exc:
            from .problems import from_engine

            raise from_engine(exc) from None

    # -- containers --------------------------------------------------------------------------
    def container_body(request: Request, volume: str, reader: Identity, prefer: str | None,
                       page: int | None, iris: bool) -> tuple[dict[str, Any], dict[str, str]]:
        containers.check_volume(volume)
        revision, rows = containers.visible(volume, reader)
        wanted = preferences(prefer)
        if PREFER_IRIS in wanted:
            iris = True
        minimal = PREFER_MINIMAL in wanted
        cid = container_iri(request, volume)
        suffix = "iris=1" if iris else ""
        total = len(rows)
        pages = max(1, -(-total // PAGE_SIZE))
        applied = {}
        if wanted:
            applied["Preference-Applied"] = "return=representation"

        def page_iri(n: int) -> str:
            return f"{cid}?page={n}" + (f"&{suffix}" if suffix else "")

        def page_body(n: int) -> dict[str, Any]:
            chunk = rows[n * PAGE_SIZE:(n + 1) * PAGE_SIZE]
            body: dict[str, Any] = {"@context": W3C_CONTEXT, "id": page_iri(n), "type": "AnnotationPage",
                                    "partOf": {"id": cid + (f"?{suffix}" if suffix else ""), "total": total},
                                    "startIndex": n * PAGE_SIZE}
            if n > 0:
                body["prev"] = page_iri(n - 1)
            if n + 1 < pages:
                body["next"] = page_iri(n + 1)
            body["items"] = ([cid + a.slug for a in chunk] if iris else [served(a, request) for a in chunk])
            return body

        digest = hashlib.sha1(f"{revision}|{reader.user}|{iris}|{minimal}|{page}".encode()).hexdigest()[:20]
        headers = {"ETag": f'W/"{digest}"', "Vary": "Accept, Prefer, Authorization", "Allow": CONTAINER_ALLOW,
                   "Accept-Post": MEDIA_TYPE, **applied}
        if page is not None:
            if page < 0 or page >= pages or (total == 0 and page > 0):
                raise Problem(404, f"page {page} of /annotations/{volume}/ does not exist (pages 0-{pages - 1})")
            headers["Link"] = LDP_RESOURCE
            headers["Content-Location"] = page_iri(page)
            return page_body(page), headers
        title = next((v.title for v in containers.corpus().volumes if v.id == volume), volume)
        body: dict[str, Any] = {"@context": [W3C_CONTEXT, LDP_CONTEXT],
                                "id": cid + (f"?{suffix}" if suffix else ""),
                                "type": ["BasicContainer", "AnnotationCollection"],
                                "label": f"Annotations on {title}", "total": total}
        if total:
            body["first"] = page_iri(0) if minimal else page_body(0)
            body["last"] = page_iri(pages - 1)
        headers["Link"] = f"{LDP_CONTAINER}, {CONSTRAINED_BY}"
        headers["Content-Location"] = body["id"]
        return body, headers

    # GET and HEAD as two routes: one route with both methods gives both one operationId.
    @app.get("/annotations/{volume}/", tags=["annotations"], operation_id="get_container")
    @app.head("/annotations/{volume}/", tags=["annotations"], operation_id="head_container")
    async def get_container(request: Request, volume: str, reader: Reader,
                            accept: Annotated[str | None, Header()] = None,
                            prefer: Annotated[str | None, Header()] = None,
                            page: int | None = None, iris: int = 0):
        """An annotation container (W3C Web Annotation Protocol), or one of its pages with ``?page=N``."""
        media = negotiate(accept)
        body, headers = await call(container_body, request, volume, reader, prefer, page, iris == 1)
        return _json(body, headers={**headers, "Content-Type": media}, head=request.method == "HEAD")

    @app.options("/annotations/{volume}/", tags=["annotations"])
    async def options_container(volume: str):
        await call(containers.check_volume, volume)
        return Response(status_code=200, headers={"Allow": CONTAINER_ALLOW, "Accept-Post": MEDIA_TYPE,
                                                  "Link": f"{LDP_CONTAINER}, {CONSTRAINED_BY}",
                                                  "Vary": "Accept, Prefer, Authorization"})

    @app.get("/annotations/{volume}", include_in_schema=False)
    async def container_slash(volume: str, request: Request):
        return Response(status_code=308, headers={"Location": container_iri(request, volume)})

    @app.post("/annotations/{volume}/", status_code=201, tags=["annotations"])
    async def create_annotation(request: Request, volume: str, reader: Reader):
        """Create an annotation: 201 with ``Location`` and the server-assigned IRI."""
        user = writer(reader)
        raw = await request.body()
        cid = container_iri(request, volume)

        # One trip to a worker thread for the whole create (each trip is two thread switches);
        # the checks keep their order: the volume, then the body, then the annotation.
        def work() -> StoredAnnotation:
            corpus = containers.corpus()  # once: each load checks the corpus files' times
            containers.check_volume(volume, corpus)
            data = parse_json(request, raw)
            name, groups, _mod = containers.reader(reader)
            checked = service.engine.check_annotation(data, corpus=corpus, volume=volume, user=user,
                                                      user_name=name, groups=groups)
            return containers.store.create(volume=volume, entry=checked.entry.local_id, layer=checked.layer,
                                           creator=user, visibility=checked.visibility, group=checked.group,
                                           document=checked.document, iri_for=lambda slug: cid + slug)

        row = await call(work)
        headers = annotation_headers(row, MEDIA_TYPE)
        headers["Location"] = cid + row.slug
        return _json(served(row, request), status=201, headers=headers)

    # -- annotations ---------------------------------------------------------------------------
    @app.get("/annotations/{volume}/{slug}", tags=["annotations"], operation_id="get_annotation")
    @app.head("/annotations/{volume}/{slug}", tags=["annotations"], operation_id="head_annotation")
    async def get_annotation(request: Request, volume: str, slug: str, reader: Reader,
                             accept: Annotated[str | None, Header()] = None):
        """One annotation, if the reader may see it."""
        media = negotiate(accept)
        row = await call(containers.find, volume, slug, reader)
        return _json(served(row, request), headers=annotation_headers(row, media), head=request.method == "HEAD")

    @app.options("/annotations/{volume}/{slug}", tags=["annotations"])
    async def options_annotation(volume: str, slug: str, reader: Reader):
        await call(containers.find, volume, slug, reader)
        return Response(status_code=200, headers={"Allow": ANNOTATION_ALLOW, "Link": LDP_RESOURCE,
                                                  "Vary": "Accept, Authorization"})

    def own(volume: str, slug: str, reader: Identity, user: str) -> StoredAnnotation:
        row = containers.find(volume, slug, reader)
        if row.creator != user:
            raise Problem(403, "only its creator may change or delete an annotation")
        return row

    @app.put("/annotations/{volume}/{slug}", tags=["annotations"])
    async def put_annotation(request: Request, volume: str, slug: str, reader: Reader,
                             if_match: Annotated[str | None, Header()] = None):
        """Replace an annotation (its creator only).  Needs ``If-Match``; a stale ETag gives 412."""
        user = writer(reader)
        if if_match is None:
            raise Problem(428, "updating an annotation needs If-Match with its current ETag")
        data = await read_json(request)

        def work() -> StoredAnnotation:
            row = own(volume, slug, reader, user)
            _version(if_match, row)
            name, groups, _mod = containers.reader(reader)
            checked = service.engine.check_annotation(data, corpus=containers.corpus(), volume=volume, user=user,
                                       user_name=name, groups=groups, created=row.document.get("created"))
            expect = None if if_match.strip() == "*" else row.version
            return containers.store.replace(volume, slug, expect_version=expect, entry=checked.entry.local_id,
                                            layer=checked.layer, visibility=checked.visibility,
                                            group=checked.group, document=checked.document)

        row = await call(work)
        return _json(served(row, request), headers=annotation_headers(row, MEDIA_TYPE))

    @app.delete("/annotations/{volume}/{slug}", status_code=204, tags=["annotations"])
    async def delete_annotation(volume: str, slug: str, reader: Reader,
                                if_match: Annotated[str | None, Header()] = None):
        """Delete an annotation (its creator only); with ``If-Match``, only that version."""
        user = writer(reader)

        def work() -> None:
            row = own(volume, slug, reader, user)
            _version(if_match, row)
            expect = row.version if if_match and if_match.strip() != "*" else None
            containers.store.delete(volume, slug, expect_version=expect)

        await call(work)
        return Response(status_code=204)

    # -- moderation ----------------------------------------------------------------------------
    def moderator(reader: Identity) -> str:
        user = writer(reader)
        if not containers.reader(reader)[2]:
            raise Problem(403, "only moderators may do this")
        return user

    @app.post("/v1/reports", status_code=201, tags=["moderation"])
    async def report(request: Request, reader: Reader):
        """Report an annotation (the viewer's "Report"): ``{"annotation": IRI, "text": "…"}``."""
        user = writer(reader)
        data = await read_json(request)
        if not isinstance(data, dict) or not isinstance(data.get("annotation"), str) \
                or not isinstance(data.get("text"), str) or not data["text"].strip():
            raise Problem(400, 'send {"annotation": "<annotation IRI>", "text": "<why>"}')
        text = data["text"].strip()
        if len(text) > 5000 or re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
            raise Problem(400, "the report text must be at most 5000 characters, without control characters")
        volume, slug = _split(data["annotation"], request)

        def work() -> dict[str, Any]:
            containers.find(volume, slug, reader)  # one may report only what one can see
            return {"id": containers.store.report(volume, slug, user, text), "status": "open"}

        return JSONResponse(await call(work), status_code=201)

    @app.get("/v1/reports", tags=["moderation"])
    async def reports(request: Request, reader: Reader, status: str | None = None):
        """The reports (moderators only), with the reported annotation's IRI."""
        await call(moderator, reader)
        rows = await call(containers.store.reports, status)
        for r in rows:
            r["annotation"] = container_iri(request, r.pop("volume")) + r.pop("slug")
        return rows

    @app.post("/v1/reports/{report_id}", tags=["moderation"])
    async def moderate(request: Request, report_id: int, reader: Reader):
        """A moderator's decision on a report: ``{"action": "hide" | "dismiss" | "unhide"}``."""
        user = await call(moderator, reader)
        data = await read_json(request)
        action = data.get("action") if isinstance(data, dict) else None
        if action not in ("hide", "dismiss", "unhide"):
            raise Problem(400, 'send {"action": "hide"}, {"action": "dismiss"} or {"action": "unhide"}')

        def work() -> dict[str, Any]:
            found = next((r for r in containers.store.reports() if r["id"] == report_id), None)
            if found is None:
                raise Problem(404, f"no report {report_id}")
            if action == "dismiss":
                containers.store.dismiss(report_id, user)
            else:
                containers.store.set_hidden(found["volume"], found["slug"], action == "hide", user)
            return {"id": report_id, "action": action}

        return await call(work)


def _split(iri: str, request: Request) -> tuple[str, str]:
    """``<base>/annotations/<volume>/<slug>`` (or ``<volume>/<slug>``) -> (volume, slug)."""
    path = iri
    prefix = base_url(request) + "/annotations/"
    if path.startswith(prefix):
        path = path[len(prefix):]
    parts = path.strip("/").split("/")
    if len(parts) != 2 or not all(_SLUG.match(p) for p in parts):
        raise Problem(400, "annotation must be an annotation's IRI in this service")
    return parts[0], parts[1]
