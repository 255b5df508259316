"""The W3C Web Annotation Protocol against a real ``exporter serve`` (httpx), on an SQLite and on
a PostgreSQL store: every MUST of the protocol, the visibility and permission matrix, bad input,
moderation, folders, bookmarks, concurrency, and annotations reaching the next print.

Expected visibility is computed here from the raw corpus files and archive.json, not by the
project's code.
"""

from __future__ import annotations

import json
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from conftest import SAMPLE
from support.protocol_server import LD, W3C, StoreServer, annotation
from support.store_fixtures import drop_pg_database, new_pg_database

MEDIA = f'{LD}; profile="{W3C}"'
USERS = ["irina", "tomas", "leila", "dmitri"]
READERS = USERS + [None]
ARCHIVE = json.loads((SAMPLE / "archive.json").read_text(encoding="utf-8"))
MEMBERS = {g: set(v["members"]) for g, v in ARCHIVE["groups"].items()}
FILE_ANNOTATIONS = [a for p in sorted((SAMPLE / "annotations").glob("*.jsonld"))
                    for a in json.loads(p.read_text(encoding="utf-8"))]
LAYER = "https://archive.example.org/kd/kd1/kd1-1918-03-06/translation"
QUOTE = "I buy from them"


def may_see(ann: dict, user: str | None, moderators=()) -> bool:
    vis, creator = ann.get("visibility", "private"), ann["creator"]["nickname"]
    if vis == "public":
        return True
    if vis == "private":
        return user == creator
    return user in MEMBERS.get(ann.get("group"), set())


def slug(ann: dict) -> str:
    return ann["id"].rsplit("/", 1)[-1]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"serve-{request.param}")
    url = None
    if request.param == "postgresql":
        pg = request.getfixturevalue("postgres_server")
        url = new_pg_database(pg)
    srv = StoreServer(folder, url).start()
    srv.client = httpx.Client(base_url=srv.url, timeout=120)
    yield srv
    srv.client.close()
    srv.stop()
    if url:
        drop_pg_database(pg, url)


def post(server, user, doc, **headers):
    return server.client.post("/annotations/kd1/", content=json.dumps(doc),
                              headers=server.headers(user, content_type=LD, **headers))


def total(server, user) -> int:
    return server.client.get("/annotations/kd1/", headers=server.headers(user)).json()["total"]


# -- the protocol's MUSTs --------------------------------------------------------------------------

def test_container_get_and_its_headers(server):
    r = server.client.get("/annotations/kd1/", headers=server.headers("irina"))
    assert r.status_code == 200
    assert r.headers["content-type"] == MEDIA
    assert r.headers["etag"]
    assert {"GET", "HEAD", "OPTIONS", "POST"} <= {m.strip() for m in r.headers["allow"].split(",")}
    assert "Accept" in r.headers["vary"] and "Prefer" in r.headers["vary"]
    link = r.headers["link"]
    assert '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"' in link
    assert 'rel="http://www.w3.org/ns/ldp#constrainedBy"' in link
    assert r.headers["accept-post"] == MEDIA
    body = r.json()
    assert r.headers["content-location"] == body["id"] == f"{server.url}/annotations/kd1/"
    assert {"BasicContainer", "AnnotationCollection"} <= set(body["type"])
    assert W3C in body["@context"]
    expected = {slug(a) for a in FILE_ANNOTATIONS if may_see(a, "irina")}
    assert body["total"] >= len(expected)
    first = body["first"]  # the default is PreferContainedDescriptions
    assert first["type"] == "AnnotationPage" and first["partOf"]["id"] == body["id"]
    assert all(isinstance(i, dict) and i["type"] == "Annotation" for i in first["items"])
    assert body["last"].startswith(body["id"] + "?page=")


def test_head_and_options(server):
    get = server.client.get("/annotations/kd1/", headers=server.headers("tomas"))
    head = server.client.head("/annotations/kd1/", headers=server.headers("tomas"))
    assert head.status_code == 200 and head.content == b""
    for key in ("content-type", "etag", "allow", "vary", "link", "content-location"):
        assert head.headers[key] == get.headers[key], key
    opt = server.client.options("/annotations/kd1/")
    assert opt.status_code == 200 and "POST" in opt.headers["allow"] and opt.headers["accept-post"] == MEDIA
    one = get.json()["first"]["items"][0]["id"]
    for method in ("HEAD", "OPTIONS"):
        r = server.client.request(method, one, headers=server.headers("tomas"))
        assert r.status_code == 200 and {"GET", "HEAD", "OPTIONS"} <= {m.strip() for m in r.headers["allow"].split(",")}
    assert server.client.get("/annotations/nope/").status_code == 404


def test_prefer_forms(server):
    prefer = 'return=representation;include="{}"'
    iris = server.client.get("/annotations/kd1/", headers=server.headers(
        "leila", prefer=prefer.format("http://www.w3.org/ns/oa#PreferContainedIRIs")))
    assert iris.headers["preference-applied"] == "return=representation"
    items = iris.json()["first"]["items"]
    assert items and all(isinstance(i, str) for i in items)
    assert iris.headers["content-location"] == iris.json()["id"] != f"{server.url}/annotations/kd1/"
    assert server.client.get(items[0], headers=server.headers("leila")).status_code == 200
    desc = server.client.get("/annotations/kd1/", headers=server.headers(
        "leila", prefer=prefer.format("http://www.w3.org/ns/oa#PreferContainedDescriptions"))).json()
    assert [i["id"] for i in desc["first"]["items"]] == items
    minimal = server.client.get("/annotations/kd1/", headers=server.headers(
        "leila", prefer=prefer.format("http://www.w3.org/ns/ldp#PreferMinimalContainer"))).json()
    assert isinstance(minimal["first"], str) and "items" not in minimal
    page = server.client.get(minimal["first"], headers=server.headers("leila")).json()
    assert [i["id"] for i in page["items"]] == items


def test_paging_first_next_prev(server):
    for n in range(105 - total(server, "tomas") + 1):
        assert post(server, "tomas", annotation(LAYER, QUOTE, f"paging {n}")).status_code == 201
    body = server.client.get("/annotations/kd1/", headers=server.headers("tomas")).json()
    assert body["total"] > 100
    seen, url, prev = [], body["first"]["id"], None
    while url:
        page = server.client.get(url, headers=server.headers("tomas"))
        assert page.status_code == 200 and page.headers["content-type"] == MEDIA
        page = page.json()
        assert page["type"] == "AnnotationPage" and page["partOf"]["total"] == body["total"]
        assert page.get("prev") == prev
        seen += [i["id"] for i in page["items"]]
        prev, url = page["id"], page.get("next")
    assert prev == body["last"]
    assert len(seen) == len(set(seen)) == body["total"]
    assert server.client.get("/annotations/kd1/?page=99", headers=server.headers("tomas")).status_code == 404


def test_annotation_get_headers_and_conneg(server):
    r = post(server, "leila", annotation(LAYER, QUOTE, "conneg"))
    assert r.status_code == 201
    got = server.client.get(r.headers["location"], headers=server.headers("leila"))
    assert got.status_code == 200 and got.headers["content-type"] == MEDIA
    assert got.headers["etag"] == r.headers["etag"]
    assert '<http://www.w3.org/ns/ldp#Resource>; rel="type"' in got.headers["link"]
    assert "Accept" in got.headers["vary"]
    assert {"GET", "PUT", "DELETE"} <= {m.strip() for m in got.headers["allow"].split(",")}
    plain = server.client.get(r.headers["location"], headers=server.headers("leila", accept="application/json"))
    assert plain.headers["content-type"].startswith("application/json") and plain.json() == got.json()
    turtle = server.headers("leila", accept="text/turtle")
    assert server.client.get(r.headers["location"], headers=turtle).status_code == 406


def test_post_gives_201_location_and_a_server_iri(server):
    doc = annotation(LAYER, QUOTE, "created", id="http://client.example/my-own-id")
    r = post(server, "irina", doc)
    assert r.status_code == 201
    body = r.json()
    assert r.headers["location"] == body["id"]
    assert body["id"].startswith(f"{server.url}/annotations/kd1/") and "my-own-id" not in body["id"]
    assert r.headers["etag"] and r.headers["content-type"] == MEDIA
    assert body["creator"]["nickname"] == "irina"
    sel = {s["type"]: s for s in body["target"]["selector"]}
    assert sel["TextPositionSelector"]["end"] - sel["TextPositionSelector"]["start"] == len(QUOTE)
    assert body["target"]["page"]
    assert server.client.get(body["id"], headers=server.headers("tomas")).json() == body


def test_put_needs_if_match_and_a_current_etag(server):
    r = post(server, "irina", annotation(LAYER, QUOTE, "version one"))
    url, etag = r.headers["location"], r.headers["etag"]
    new = annotation(LAYER, QUOTE, "version two")
    def put(**h):
        return server.client.put(url, content=json.dumps(new), headers=server.headers("irina", content_type=LD, **h))
    assert put().status_code == 428
    assert put(if_match='"0-0"').status_code == 412
    ok = put(if_match=etag)
    assert ok.status_code == 200 and ok.headers["etag"] != etag
    assert ok.json()["body"]["value"] == "version two" and ok.json()["created"] == r.json()["created"]
    assert ok.json()["modified"]
    stale = put(if_match=etag)
    assert stale.status_code == 412 and stale.headers["content-type"] == "application/problem+json"
    assert server.client.get(url, headers=server.headers("irina")).json()["body"]["value"] == "version two"


def test_delete(server):
    r = post(server, "dmitri", annotation(LAYER, QUOTE, "to delete"))
    url = r.headers["location"]
    assert server.client.delete(url, headers=server.headers("dmitri", if_match='"0-0"')).status_code == 412
    assert server.client.delete(url, headers=server.headers("dmitri")).status_code == 204
    assert server.client.get(url, headers=server.headers("dmitri")).status_code == 404
    assert server.client.delete(url, headers=server.headers("dmitri")).status_code == 404


# -- who may do what --------------------------------------------------------------------------------

@pytest.mark.parametrize("reader", READERS)
def test_read_matrix(server, reader):
    for ann in FILE_ANNOTATIONS:
        r = server.client.get(f"/annotations/kd1/{slug(ann)}", headers=server.headers(reader))
        assert r.status_code == (200 if may_see(ann, reader) else 404), (reader, ann["id"])
        if r.status_code == 200:
            assert r.json()["via"] == ann["id"]
    listed = set()
    url = "/annotations/kd1/?page=0&iris=1"
    while url:
        page = server.client.get(url, headers=server.headers(reader)).json()
        listed |= {i.rsplit("/", 1)[-1] for i in page["items"]}
        url = page.get("next")
    assert {slug(a) for a in FILE_ANNOTATIONS if may_see(a, reader)} <= listed
    assert not {slug(a) for a in FILE_ANNOTATIONS if not may_see(a, reader)} & listed


@pytest.mark.parametrize("reader", READERS)
def test_write_matrix(server, reader):
    before = {u: total(server, u) for u in READERS}
    new = annotation(LAYER, QUOTE, "not mine to write")
    for other in USERS:
        if other == reader:
            continue
        r = post(server, reader, dict(new, creator={"type": "Person", "nickname": other}))
        assert r.status_code == (401 if reader is None else 403), (reader, other)
    for ann in FILE_ANNOTATIONS:
        if ann["creator"]["nickname"] == reader:
            continue
        url = f"/annotations/kd1/{slug(ann)}"
        expected = 401 if reader is None else 403 if may_see(ann, reader) else 404
        put = server.client.put(url, content=json.dumps(new),
                                headers=server.headers(reader, content_type=LD, if_match="*"))
        assert put.status_code == expected, (reader, ann["id"], put.text)
        assert server.client.delete(url, headers=server.headers(reader)).status_code == expected
    if reader:  # a group one is not a member of
        outside = [g for g, members in MEMBERS.items() if reader not in members]
        for group in outside:
            r = post(server, reader, annotation(LAYER, QUOTE, "x", visibility="group", group=group))
            assert r.status_code == 403
    assert {u: total(server, u) for u in READERS} == before


def test_group_annotation_reaches_members_only(server):
    r = post(server, "tomas", annotation(LAYER, QUOTE, "for the reading group", visibility="group",
                                         group="sources-reading-group"))
    assert r.status_code == 201
    for reader in READERS:
        code = server.client.get(r.headers["location"], headers=server.headers(reader)).status_code
        assert code == (200 if reader in MEMBERS["sources-reading-group"] else 404), reader


def test_report_and_hide(server):
    r = post(server, "irina", annotation(LAYER, QUOTE, "a reported note"))
    url = r.headers["location"]
    rep = server.client.post("/v1/reports", json={"annotation": url, "text": "<script>off topic</script>"},
                             headers=server.headers("tomas"))
    assert rep.status_code == 201
    assert server.client.get("/v1/reports", headers=server.headers("tomas")).status_code == 403
    queue = server.client.get("/v1/reports?status=open", headers=server.headers("dmitri")).json()
    mine = next(q for q in queue if q["id"] == rep.json()["id"])
    assert mine["annotation"] == url and mine["text"] == "<script>off topic</script>"
    assert server.client.post(f"/v1/reports/{mine['id']}", json={"action": "hide"},
                              headers=server.headers("tomas")).status_code == 403
    assert server.client.post(f"/v1/reports/{mine['id']}", json={"action": "hide"},
                              headers=server.headers("dmitri")).status_code == 200
    for reader in READERS:
        code = server.client.get(url, headers=server.headers(reader)).status_code
        assert code == (200 if reader in ("irina", "dmitri") else 404), reader
    csv = server.client.get("/v1/export", params={"format": "annotations-csv", "entries": "kd1-1918-03-06"},
                            headers=server.headers("tomas"))
    assert csv.status_code == 200 and "a reported note" not in csv.text
    csv = server.client.get("/v1/export", params={"format": "annotations-csv", "entries": "kd1-1918-03-06"},
                            headers=server.headers("irina"))
    assert "a reported note" in csv.text


# -- bad input ---------------------------------------------------------------------------------------

BAD = {
    "not json": (b"{not json", 400),
    "not an annotation": (json.dumps({"@context": W3C, "type": "Note"}).encode(), 400),
    "no context": (json.dumps({"type": "Annotation", "target": {"source": LAYER}}).encode(), 400),
    "array": (b"[]", 400),
    "missing target": (json.dumps({"@context": W3C, "type": "Annotation", "bodyValue": "x"}).encode(), 400),
    "unknown source": (json.dumps(annotation("https://archive.example.org/kd/kd1/nope/translation", QUOTE)).encode(),
                       422),
    "quote not found": (json.dumps(annotation(LAYER, "words that are not in the entry")).encode(), 422),
    "position outside": (json.dumps(dict(annotation(LAYER, QUOTE), target={
        "source": LAYER, "selector": {"type": "TextPositionSelector", "start": 5, "end": 10 ** 7}})).encode(), 422),
    "position disagrees": (json.dumps(dict(annotation(LAYER, QUOTE), target={"source": LAYER, "selector": [
        {"type": "TextQuoteSelector", "exact": QUOTE},
        {"type": "TextPositionSelector", "start": 0, "end": 15}]})).encode(), 422),
    "html body": (json.dumps(dict(annotation(LAYER, QUOTE), body={"type": "TextualBody", "value": "<b>x</b>",
                                                                  "format": "text/html"})).encode(), 422),
    "control character": (json.dumps(annotation(LAYER, QUOTE, "bell \x07 here")).encode(), 400),
    "NUL": (json.dumps(annotation(LAYER, QUOTE, "nul \x00 here")).encode(), 400),
    "1 MB": (json.dumps(annotation(LAYER, QUOTE, "x" * 1_000_000)).encode(), 413),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_refused_and_stores_nothing(server, case):
    body, status = BAD[case]
    before = total(server, "leila")
    r = server.client.post("/annotations/kd1/", content=body, headers=server.headers("leila", content_type=LD))
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert "\n" not in r.json()["detail"]
    assert total(server, "leila") == before


def test_wrong_media_type_is_415(server):
    r = server.client.post("/annotations/kd1/", content=json.dumps(annotation(LAYER, QUOTE)),
                           headers=server.headers("leila", content_type="text/plain"))
    assert r.status_code == 415


def test_markup_stays_data(server):
    text = "<script>alert(1)</script> **bold** [link](http://x) & =SUM(A1)"
    r = post(server, "leila", annotation(LAYER, QUOTE, text))
    assert r.status_code == 201 and r.json()["body"]["value"] == text
    assert server.client.get(r.headers["location"], headers=server.headers("leila")).json()["body"]["value"] == text
    md = server.client.get("/v1/export", params={"format": "annotations-md", "entries": "kd1-1918-03-06"},
                           headers=server.headers("leila")).text
    html = subprocess.run(["pandoc", "-f", "commonmark", "-t", "html", "--wrap=none"], input=md, capture_output=True,
                          text=True, check=True).stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold** [link](http://x) &amp; =SUM(A1)" in html
    assert "<script>" not in html and "<strong>bold" not in html
    csv = server.client.get("/v1/export", params={"format": "annotations-csv", "entries": "kd1-1918-03-06"},
                            headers=server.headers("leila")).text
    assert text in csv


# -- the engine reads the store -------------------------------------------------------------------

def test_a_new_annotation_is_in_the_next_print_and_exports(server, tmp_path):
    marker = "Zanzibar-marker-" + server.store_url[:6]
    r = post(server, "tomas", annotation(LAYER, QUOTE, marker))
    assert r.status_code == 201
    for fmt in ("annotations-jsonld", "annotations-csv", "annotations-md"):
        got = server.client.get("/v1/export", params={"format": fmt, "entries": "kd1-1918-03-06"},
                                headers=server.headers("tomas"))
        assert got.status_code == 200 and marker in got.text, fmt
    jsonld = json.loads(server.client.get("/v1/export",
                                          params={"format": "annotations-jsonld", "entries": "kd1-1918-03-06"},
                                          headers=server.headers("tomas")).text)
    bodies = lambda i: i.get("body") if isinstance(i.get("body"), list) else [i.get("body") or {}]  # noqa: E731
    item = next(i for i in jsonld["first"]["items"] if any(b.get("value") == marker for b in bodies(i)))
    assert item["target"]["source"] == LAYER
    for fmt in ("pdf", "docx"):
        done = server.client.post("/v1/exports",
                                  json={"format": fmt, "entries": ["kd1-1918-03-06"], "accept_terms": True},
                                  headers=server.headers("tomas", prefer="wait=240"))
        assert done.status_code == 200, done.text
        out = tmp_path / f"print.{fmt}"
        out.write_bytes(done.content)
        if fmt == "pdf":
            text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
        else:
            import zipfile

            text = zipfile.ZipFile(out).read("word/comments.xml").decode("utf-8")
        assert marker in text, fmt


# -- folders and bookmarks -----------------------------------------------------------------------------

def test_folders(server):
    mine = server.client.get("/v1/folders", headers=server.headers("irina")).json()
    assert {f["name"] for f in mine} == {"grain-crisis", "brest-litovsk"}
    assert server.client.get("/v1/folders").status_code == 401
    r = server.client.post("/v1/folders", json={"name": "telegrams", "title": "Telegrams <i>x</i>",
                                                 "entries": ["kd1-1918-03-10"]}, headers=server.headers("leila"))
    assert r.status_code == 201
    fid = r.json()["id"]
    assert server.client.post(f"/v1/folders/{fid}/entries", json={"entry": "kd1-1918-03-06"},
                              headers=server.headers("leila")).json()["entries"] == ["kd1-1918-03-10", "kd1-1918-03-06"]
    assert server.client.post(f"/v1/folders/{fid}/entries", json={"entry": "kd1-1918-03-06"},
                              headers=server.headers("irina")).status_code == 404
    assert server.client.post("/v1/folders", json={"name": "x", "entries": ["nope-entry"]},
                              headers=server.headers("leila")).status_code == 404
    assert server.client.post("/v1/folders", json={"name": "ours", "group": "sources-reading-group"},
                              headers=server.headers("leila")).status_code == 403
    again = server.client.post("/v1/folders", json={"name": "telegrams"}, headers=server.headers("leila"))
    assert again.status_code == 409
    csv = server.client.get("/v1/export", params={"format": "annotations-csv", "folder": "telegrams"},
                            headers=server.headers("leila"))
    assert csv.status_code == 200
    assert {row.split(",")[1] for row in csv.text.splitlines()[1:] if row.startswith("http")} <= {
        "kd1-1918-03-10", "kd1-1918-03-06"}
    assert server.client.get("/v1/export", params={"format": "annotations-csv", "folder": "telegrams"},
                             headers=server.headers("irina")).status_code in (403, 404)
    assert server.client.delete(f"/v1/folders/{fid}", headers=server.headers("leila")).status_code == 204


def test_bookmarks(server):
    r = server.client.post("/v1/bookmarks", json={"entry": "kd1-1918-03-06", "layer": "translation", "exact": QUOTE},
                           headers=server.headers("irina"))
    assert r.status_code == 201 and r.json()["start"] >= 0
    assert server.client.post("/v1/bookmarks", json={"entry": "kd1-1918-03-06", "layer": "translation",
                                                      "exact": "not in the text at all"},
                              headers=server.headers("irina")).status_code == 422
    unknown = server.client.post("/v1/bookmarks", json={"entry": "nope"}, headers=server.headers("irina"))
    assert unknown.status_code == 404
    listed = server.client.get("/v1/bookmarks", headers=server.headers("irina")).json()
    assert [b["id"] for b in listed] == [r.json()["id"]]
    assert server.client.get("/v1/bookmarks", headers=server.headers("tomas")).json() == []
    assert server.client.delete(f"/v1/bookmarks/{r.json()['id']}", headers=server.headers("tomas")).status_code == 404
    assert server.client.delete(f"/v1/bookmarks/{r.json()['id']}", headers=server.headers("irina")).status_code == 204


# -- concurrency ----------------------------------------------------------------------------------------

def test_sixteen_clients_lose_no_update_and_make_no_duplicate(server):
    before = total(server, "leila")
    target = post(server, "leila", annotation(LAYER, QUOTE, "counter 0")).headers["location"]
    token = server.headers("leila", content_type=LD)
    wins, lock = [], threading.Lock()

    def client(n: int) -> list[str]:
        made = []
        with httpx.Client(base_url=server.url, timeout=120) as c:
            for i in range(4):
                r = c.post("/annotations/kd1/", content=json.dumps(annotation(LAYER, QUOTE, f"c{n}-{i}")),
                           headers=token)
                assert r.status_code == 201, r.text
                made.append(r.headers["location"])
            for _ in range(3):
                while True:  # read, increment, write back with If-Match; retry on 412
                    cur = c.get(target, headers=token)
                    value = int(cur.json()["body"]["value"].split()[1])
                    r = c.put(target, content=json.dumps(annotation(LAYER, QUOTE, f"counter {value + 1}")),
                              headers={**token, "If-Match": cur.headers["etag"]})
                    if r.status_code == 200:
                        with lock:
                            wins.append(n)
                        break
                    assert r.status_code == 412, r.text
        return made

    with ThreadPoolExecutor(16) as pool:
        made = [u for urls in pool.map(client, range(16)) for u in urls]
    assert len(made) == len(set(made)) == 64
    assert total(server, "leila") == before + 1 + 64
    final = server.client.get(target, headers=server.headers("leila")).json()["body"]["value"]
    assert final == f"counter {16 * 3}" and len(wins) == 48
