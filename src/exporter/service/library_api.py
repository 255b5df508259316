"""A reader's library: folders (personal, and group folders for members) and bookmarks.

``/v1/folders`` holds named, ordered lists of entries ("Save to my library"); the export
selection ``folder`` reads them from the store through the engine, so a folder saved here is
what ``POST /v1/exports`` with ``{"folder": NAME}`` prints.  ``/v1/bookmarks`` marks a passage:
an entry, optionally a layer and a quote or positions that must find their passage.
"""


import re
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..engine import Rejected, find_passage, lookup_entry, visible_folders
from ..errors import ExporterError
from ..store import Conflict
from .annotations_api import read_json
from .auth import Identity
from .problems import Problem

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_ENTRIES = 1000


def install(app: FastAPI, service, identity) -> None:
    store = service.annotation_store
    Reader = Annotated[Identity, Depends(identity)]

    def corpus():
        return service.engine.load(service.config.corpus_path)

    def user_of(reader: Identity) -> str:
        if not reader.user:
            raise Problem(401, "a library needs a token", headers={"WWW-Authenticate": "Bearer"})
        return reader.user

    async def call(fn, *args):
        try:
            return await run_in_threadpool(fn, *args)
        except Rejected as exc:
            raise Problem(exc.status, str(exc)) from None
        except Conflict as exc:
            raise Problem(409, str(exc)) from None
        except Problem:
            raise
        except ExporterError as exc:
            from .problems import from_engine

            raise from_engine(exc) from None

    def entry_ids(value: Any) -> list[str]:
        if not isinstance(value, list) or len(value) > MAX_ENTRIES or not all(isinstance(v, str) for v in value):
            raise Problem(400, f"entries must be a list of at most {MAX_ENTRIES} entry ids")
        c = corpus()
        return [lookup_entry(c, v.strip()).id for v in value]  # unknown ids: 404 with a hint

    def mine(user: str) -> list[dict]:
        c = corpus()
        visible = {(f.name, f.owner, f.group) for f in visible_folders(c, user)}
        return [f for f in store.folders() if (f["name"], f["owner"], f["group"]) in visible]

    def one(folder_id: int, user: str) -> dict:
        found = next((f for f in mine(user) if f["id"] == folder_id), None)
        if found is None:
            raise Problem(404, f"no folder {folder_id} in your library")
        return found

    # -- folders ---------------------------------------------------------------------------------
    @app.get("/v1/folders", tags=["library"])
    async def folders(reader: Reader) -> list[dict[str, Any]]:
        """Your personal folders and the folders of your groups."""
        return await call(mine, user_of(reader))

    @app.post("/v1/folders", status_code=201, tags=["library"])
    async def create_folder(request: Request, reader: Reader):
        """``{"name": "grain", "title": "…", "entries": [ids], "group": optional}``."""
        user = user_of(reader)
        data = await read_json(request)
        if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not _NAME.match(data["name"]):
            raise Problem(400, "a folder needs a name like 'grain-crisis' (lowercase letters, digits, hyphens)")
        title = data.get("title", data["name"])
        group = data.get("group")
        if not isinstance(title, str) or len(title) > 500 or (group is not None and not isinstance(group, str)):
            raise Problem(400, "title must be a string of at most 500 characters, group a group's name")

        def work() -> dict:
            if group is not None and group not in store.reader(user)[2]:
                raise Problem(403, f"you are not a member of group {group!r}")
            entries = entry_ids(data.get("entries", []))
            return store.save_folder(name=data["name"], title=title, owner=user, group=group, entries=entries)

        folder = await call(work)
        return JSONResponse(folder, status_code=201, headers={"Location": f"/v1/folders/{folder['id']}"})

    @app.get("/v1/folders/{folder_id}", tags=["library"])
    async def get_folder(folder_id: int, reader: Reader):
        return await call(one, folder_id, user_of(reader))

    @app.put("/v1/folders/{folder_id}", tags=["library"])
    async def put_folder(request: Request, folder_id: int, reader: Reader):
        """Replace a folder's title and entries: ``{"title": "…", "entries": [ids]}``."""
        user = user_of(reader)
        data = await read_json(request)
        if not isinstance(data, dict):
            raise Problem(400, "send {\"title\": ..., \"entries\": [...]}")

        def work() -> dict:
            folder = one(folder_id, user)
            entries = entry_ids(data.get("entries", folder["entries"]))
            title = data.get("title", folder["title"])
            if not isinstance(title, str) or len(title) > 500:
                raise Problem(400, "title must be a string of at most 500 characters")
            return store.save_folder(name=folder["name"], title=title, owner=folder["owner"],
                                     group=folder["group"], entries=entries, folder_id=folder_id)

        return await call(work)

    @app.post("/v1/folders/{folder_id}/entries", tags=["library"])
    async def add_to_folder(request: Request, folder_id: int, reader: Reader):
        """Save an entry to a folder: ``{"entry": id}`` (kept once, at the end)."""
        user = user_of(reader)
        data = await read_json(request)
        if not isinstance(data, dict) or not isinstance(data.get("entry"), str):
            raise Problem(400, 'send {"entry": "<entry id>"}')

        def work() -> dict:
            folder = one(folder_id, user)
            entry = entry_ids([data["entry"]])[0]
            entries = folder["entries"] + ([entry] if entry not in folder["entries"] else [])
            return store.save_folder(name=folder["name"], title=folder["title"], owner=folder["owner"],
                                     group=folder["group"], entries=entries, folder_id=folder_id)

        return await call(work)

    @app.delete("/v1/folders/{folder_id}", status_code=204, tags=["library"])
    async def delete_folder(folder_id: int, reader: Reader):
        user = user_of(reader)

        def work() -> None:
            folder = one(folder_id, user)
            if folder["owner"] != user and folder["group"] is None:
                raise Problem(403, "not your folder")
            store.delete_folder(folder_id)

        await call(work)
        return Response(status_code=204)

    # -- bookmarks -------------------------------------------------------------------------------
    @app.get("/v1/bookmarks", tags=["library"])
    async def bookmarks(reader: Reader) -> list[dict[str, Any]]:
        """Your bookmarks, oldest first."""
        return await call(store.bookmarks, user_of(reader))

    @app.post("/v1/bookmarks", status_code=201, tags=["library"])
    async def create_bookmark(request: Request, reader: Reader):
        """Mark a passage: ``{"entry": id, "layer": "translation", "exact": "…"}`` or with ``start``/``end``;
        an entry alone marks the entry."""
        user = user_of(reader)
        data = await read_json(request)
        if not isinstance(data, dict) or not isinstance(data.get("entry"), str):
            raise Problem(400, 'send {"entry": "<entry id>", "layer": ..., "exact": ...}')
        label = data.get("label", "")
        if not isinstance(label, str) or len(label) > 500 or re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", label):
            raise Problem(400, "label must be text of at most 500 characters")

        def work() -> dict:
            entry = lookup_entry(corpus(), data["entry"].strip())
            layer = data.get("layer")
            exact = start = end = None
            if layer is not None or any(k in data for k in ("exact", "start", "end")):
                if layer not in entry.layers:
                    raise Problem(422, f"entry {entry.id} has no layer {layer!r}; it has {', '.join(entry.layers)}")
                selectors = []
                if "exact" in data:
                    selectors.append({"type": "TextQuoteSelector", "exact": data["exact"],
                                      "prefix": data.get("prefix", ""), "suffix": data.get("suffix", "")})
                if "start" in data or "end" in data:
                    selectors.append({"type": "TextPositionSelector", "start": data.get("start"),
                                      "end": data.get("end")})
                if selectors:
                    exact, start, end = find_passage(selectors, entry.layers[layer].text)
            return store.add_bookmark(owner=user, entry=entry.id, layer=layer, exact=exact, start=start,
                                      end=end, label=label)

        mark = await call(work)
        return JSONResponse(mark, status_code=201, headers={"Location": f"/v1/bookmarks/{mark['id']}"})

    @app.delete("/v1/bookmarks/{bookmark_id}", status_code=204, tags=["library"])
    async def delete_bookmark(bookmark_id: int, reader: Reader):
        user = user_of(reader)
        done = await call(store.delete_bookmark, bookmark_id, user)
        if not done:  # someone else's is as good as missing
            raise Problem(404, f"no bookmark {bookmark_id} of yours")
        return Response(status_code=204)
