"""The reader's page (``/``, ``/entries/{id}``) over a real ``exporter serve``, read with httpx and
parsed with the standard library's HTML parser: no JavaScript runs here, so everything checked
is what a reader without JavaScript gets.

Expected values come from the corpus files and the JSON API, not from the page's own code.
"""

from __future__ import annotations

import json
import subprocess
from html.parser import HTMLParser

import httpx
import pytest

from conftest import EXPORTER, FRUS
from support.service_server import Server

W3C = "http://www.w3.org/ns/anno.jsonld"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
XSS = "<img src=x onerror=alert(1)>"


class Page(HTMLParser):
    """Elements with their attributes and the text inside each element with an id or class."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.texts: dict[str, list[str]] = {}  # "#id" / ".class" -> texts of such elements
        self.all_text: list[str] = []
        self.feed(html)

    VOID = {"meta", "link", "input", "br", "img", "hr"}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag not in self.VOID:
            self.stack.append((tag, a, []))

    def handle_endtag(self, tag):
        while self.stack:
            t, a, buf = self.stack.pop()
            text = "".join(buf)
            keys = [t] + ([f"#{a['id']}"] if a.get("id") else []) + [f".{c}" for c in (a.get("class") or "").split()]
            for key in keys:
                self.texts.setdefault(key, []).append(text)
            if self.stack:
                self.stack[-1][2].append(text)
            if t == tag:
                break

    def handle_data(self, data):
        self.all_text.append(data)
        if self.stack:
            self.stack[-1][2].append(data)

    def text(self, key: str) -> str:
        return " ".join(self.texts.get(key, []))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("reader-page")).start()
    yield srv
    assert srv.stop() == 0, srv.log.read_text()


@pytest.fixture(scope="module")
def client(server):
    with server.client() as c:
        yield c


def get(client, path: str, **kw) -> tuple[httpx.Response, Page]:
    r = client.get(path, **kw)
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html")
    return r, Page(r.text)


def toc_rows() -> list[dict]:
    exe = str(EXPORTER) if EXPORTER.exists() else "exporter"
    return json.loads(subprocess.run([exe, "toc", "--json"], capture_output=True, text=True, check=True).stdout)


# -- the table of contents ----------------------------------------------------------------------------

def test_toc_lists_every_entry_in_volume_order(client):
    _r, page = get(client, "/")
    links = [a["href"] for t, a in page.tags if t == "a" and (a.get("href") or "").startswith("/entries/")]
    assert links == [f"/entries/{row['id']}" for row in toc_rows()]


def test_toc_tells_same_day_entries_apart(client):
    _r, page = get(client, "/")
    labels = page.texts[".toc-label"]
    assert "3 March (1)" in labels and "3 March (2)" in labels
    assert labels.index("3 March (1)") + 1 == labels.index("3 March (2)")
    assert "6 March" in labels  # a day with one entry has no number
    assert len(labels) == len(set(labels))


# -- the entry view -----------------------------------------------------------------------------------

def entry_json(client, entry_id: str) -> dict:
    return client.get(f"/v1/entries/{entry_id}").json()


@pytest.mark.parametrize("layer", ["translation", "transcription"])
def test_entry_page_shows_each_layer_with_its_page_markers(client, layer):
    data = entry_json(client, "kd1-1918-03-03a")
    _r, page = get(client, f"/entries/kd1-1918-03-03a?layer={layer}")
    text = page.text("#text")
    blocks = data["layers"][layer]["blocks"]
    flat = " ".join(text.split())
    for block in blocks:
        for run in (i["text"] for i in block["inlines"] if i["type"] == "text" and len(i["text"].split()) > 3):
            assert " ".join(run.split()[1:-1]) in flat
    breaks = [i["label"] for b in blocks for i in b["inlines"] if i["type"] == "page"]
    markers = page.texts[".page-marker"]
    assert [m for m in markers if m.removeprefix("Page ") in breaks] == [f"Page {p}" for p in breaks]
    assert set(markers) <= {f"Page {p}" for p in data["layers"][layer]["pages"]}
    current = [a for t, a in page.tags if t == "a" and a.get("aria-current") == "page"]
    assert current and current[0]["href"].endswith(f"layer={layer}")


def test_page_21_marker_where_the_page_changes(client):
    data = entry_json(client, "kd1-1918-03-03a")
    assert "21" in data["layers"]["translation"]["pages"]
    r, page = get(client, "/entries/kd1-1918-03-03a?layer=translation")
    assert "Page 21" in page.texts[".page-marker"]
    body = " ".join(page.text("#text").split())
    # The marker stands between the text before and after the break, as the JSON model has it.
    for block in data["layers"]["translation"]["blocks"]:
        inl = block["inlines"]
        for k, item in enumerate(inl):
            if item["type"] == "page" and item["label"] == "21" and k > 0 and inl[k - 1]["type"] == "text":
                before = inl[k - 1]["text"].split()[-1]
                assert f"{before} Page 21" in body or f"{before}Page 21" in body


def test_notes_at_their_call(client):
    data = entry_json(client, "kd1-1918-03-06")
    note = next(n for n in data["notes"] if n["layer"] == "transcription")
    r, page = get(client, "/entries/kd1-1918-03-06?layer=transcription")
    calls = [a for t, a in page.tags if t == "a" and a.get("class") == "noteref"]
    assert any(a["href"] == f"#note-{note['id']}" for a in calls)
    # the call is inside the text, the note is in the list with the call's number
    text_start = r.text.index('id="text"')
    call_at = r.text.index(f'href="#note-{note["id"]}"')
    assert call_at > text_start
    assert " ".join(note["text"].split()) in " ".join(page.text(f"#note-{note['id']}").split())
    assert page.text(f"#note-{note['id']}").strip().startswith(note["label"])


def test_document_details_with_na(client):
    _r, page = get(client, "/entries/kd1-1918-03-06")
    table = page.text(".details")
    for label in ("Title", "Author", "Recipient", "Repository", "ID", "Description", "Date", "Volume"):
        assert label in table
    data = entry_json(client, "kd1-1918-03-06")
    assert data["recipients"] == []
    assert data["repository"] in table and data["archival_id"] in table
    rows = dict(zip([" ".join(t.split()) for t in page.texts["th"]], [" ".join(t.split()) for t in page.texts["td"]],
                    strict=True))
    assert rows["Recipient"] == "N/A" and rows["Title"] == data["title"] and rows["ID"] == data["archival_id"]


def test_previous_and_next_document(client):
    ids = [row["id"] for row in toc_rows()]
    i = ids.index("kd1-1918-03-06")
    _r, page = get(client, "/entries/kd1-1918-03-06")
    prev = [a for t, a in page.tags if t == "a" and a.get("rel") == "prev"]
    nxt = [a for t, a in page.tags if t == "a" and a.get("rel") == "next"]
    assert prev[0]["href"].startswith(f"/entries/{ids[i - 1]}") and nxt[0]["href"].startswith(f"/entries/{ids[i + 1]}")
    _r, first = get(client, f"/entries/{ids[0]}")
    assert not [a for t, a in first.tags if t == "a" and a.get("rel") == "prev"]
    _r, last = get(client, f"/entries/{ids[-1]}")
    assert not [a for t, a in last.tags if t == "a" and a.get("rel") == "next"]


def test_unknown_entry_is_a_404_page(client):
    r = client.get("/entries/no-such-entry")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "no-such-entry" in r.text


# -- security -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/entries/kd1-1918-03-06", "/entries/kd1-1918-03-06?layer=transcription"])
def test_csp_and_no_inline_script_or_style(client, path):
    r, page = get(client, path)
    assert r.headers["content-security-policy"] == CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    scripts = [a for t, a in page.tags if t == "script"]
    assert scripts and all(a.get("src", "").startswith("/reader/static/") for a in scripts)
    assert all(a.get("type") == "module" for a in scripts)
    assert not [t for t, a in page.tags if t == "style"]
    assert not [(t, k) for t, a in page.tags for k in a if k == "style" or k.startswith("on")]


def test_static_assets_are_served(client):
    js = client.get("/reader/static/reader.js")
    css = client.get("/reader/static/reader.css")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "innerHTML" not in js.text  # data reaches the page as text only


def test_annotation_visibility_and_escaping(server, client):
    irina = {"Authorization": f"Bearer {server.token('irina')}"}
    tomas = {"Authorization": f"Bearer {server.token('tomas')}"}
    source = entry_json(client, "kd1-1918-03-10")["url"] + "/translation"
    text = "".join(i["text"] for b in entry_json(client, "kd1-1918-03-10")["layers"]["translation"]["blocks"]
                   for i in b["inlines"] if i["type"] == "text")
    quote = " ".join(text.split()[3:7])

    def post(body: str, visibility: str) -> str:
        doc = {"@context": W3C, "type": "Annotation", "visibility": visibility,
               "body": {"type": "TextualBody", "value": body, "format": "text/plain"},
               "target": {"source": source, "selector": {"type": "TextQuoteSelector", "exact": quote}}}
        r = client.post("/annotations/kd1/", content=json.dumps(doc),
                        headers={**irina, "content-type": "application/ld+json"})
        assert r.status_code == 201, r.text
        return r.headers["location"]

    post(XSS, "public")
    post("irina's private thought", "private")
    r, page = get(client, "/entries/kd1-1918-03-10?layer=translation")
    assert XSS not in r.text and "&lt;img src=x onerror=alert(1)&gt;" in r.text
    assert XSS in page.text(".ann-body")
    assert not [a for t, a in page.tags if t == "img"]
    assert "irina's private thought" not in r.text  # anonymous: public annotations only
    mine = client.get("/entries/kd1-1918-03-10/text?layer=translation", headers=irina)
    assert mine.status_code == 200 and "irina&#39;s private thought" in mine.text
    assert "ann-edit" in mine.text
    theirs = client.get("/entries/kd1-1918-03-10/text?layer=translation", headers=tomas)
    assert theirs.status_code == 200 and "private thought" not in theirs.text
    assert "ann-report" in theirs.text and "&lt;img" in theirs.text
    bad = client.get("/entries/kd1-1918-03-10/text", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    stranger = client.get("/entries/kd1-1918-03-10/text",
                          headers={"Authorization": f"Bearer {server.token('nobody-here')}"})
    assert stranger.status_code == 403 and "not known" in stranger.text


# -- the live page count of the Print dialog -------------------------------------------------------

def test_print_count_is_the_policy_count(client):
    body = {"format": "pdf", "range": "kd1-1918-03-03a..kd1-1918-03-14", "layer": "translation"}
    ten = client.post("/v1/exports/check", json={**body, "pages": "20-29"})
    assert ten.status_code == 200 and ten.json()["source_pages"] == 10
    assert ten.json()["within_limit"] is True and ten.json()["limit"] == 10
    eleven = client.post("/v1/exports/check", json={**body, "pages": "20-30"})
    assert eleven.status_code == 200
    assert eleven.json() | {} == {**eleven.json(), "source_pages": 11, "within_limit": False, "limit": 10}
    refused = client.post("/v1/exports", json={**body, "pages": "20-30", "accept_terms": True})
    assert refused.status_code == 422 and refused.json()["pages"] == 11
    bad = client.post("/v1/exports/check", json={**body, "pages": "x"})
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"


# -- the FRUS volume ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def frus_server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("reader-frus"), {"corpus": {"path": str(FRUS)}}).start()
    yield srv
    assert srv.stop() == 0, srv.log.read_text()


def test_frus_toc_and_entry_page(frus_server):
    with frus_server.client() as c:
        _r, toc = get(c, "/")
        labels = toc.texts[".toc-label"]
        assert "21 April 1917 (1)" in labels and "21 April 1917 (2)" in labels
        data = c.get("/v1/entries/d2").json()
        _r, page = get(c, "/entries/d2")
        assert data["title"] in page.text("h1") or " ".join(data["title"].split()) in " ".join(page.text("h1").split())
        assert [f"Page {p}" for p in data["layers"]["text"]["pages"][1:]] == \
            [m for m in page.texts[".page-marker"] if m != f"Page {data['layers']['text']['pages'][0]}"]
        table = " ".join(page.text(".details").split())
        assert "Recipient " + data["recipients"][0]["name"] in table or data["recipients"][0]["name"] in table
        assert any(a.get("rel") == "next" for t, a in page.tags if t == "a")


def test_frus_print_layer_is_one_the_service_takes(frus_server):
    """FRUS documents have one ``text`` layer: the Print dialog offers it as ``both`` (all the
    document's text), a value the export API takes, and its page count is the policy's."""
    with frus_server.client() as c:
        _r, page = get(c, "/entries/d5")
        select = next(i for i, (t, a) in enumerate(page.tags) if t == "select" and a.get("id") == "print-layer")
        options = [a for t, a in page.tags[select + 1:select + 4] if t == "option"]
        assert [o["value"] for o in options] == ["both"] and "selected" in options[0]
        check = c.post("/v1/exports/check", json={"format": "pdf", "range": "d5..d8", "layer": "both"})
        assert check.status_code == 200 and check.json()["source_pages"] == 4


def test_frus_annotation_from_the_entry_api_reaches_the_print(frus_server):
    """A client finds the layer's IRI in ``GET /v1/entries/{id}``, annotates the FRUS document
    through the W3C protocol, and the annotation is in the next PDF (read with pypdf) and CSV."""
    import io

    from pypdf import PdfReader

    from support.protocol_server import LD, W3C, annotation

    body = "Compare the loan figures <b>of 1204</b>"
    auth = {"Authorization": f"Bearer {frus_server.token('historian')}"}
    with frus_server.client(headers=auth) as c:
        layer = c.get("/v1/entries/d5").json()["layers"]["text"]
        assert layer["iri"] == "https://history.state.gov/historicaldocuments/frus1918Russiav03/d5/text"
        made = c.post("/annotations/frus1918Russiav03/", json=annotation(
            layer["iri"], "undoubtedly meet all obligations", body, visibility="private"),
            headers={"Content-Type": f'{LD}; profile="{W3C}"'})
        assert made.status_code == 201, made.text
        pdf = c.post("/v1/exports", json={"format": "pdf", "entries": ["d5"], "annotations": "mine",
                                          "accept_terms": True}, headers={"Prefer": "wait=120"})
        assert pdf.status_code == 200, pdf.text[:300]
        text = " ".join(" ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.content)).pages).split())
        assert body in text  # the markup is text
        csv = c.get("/v1/export", params={"format": "annotations-csv", "entries": "d5", "annotations": "mine"})
        assert csv.status_code == 200 and body in csv.text and "undoubtedly meet all obligations" in csv.text
    with frus_server.client() as anonymous:  # private: not in an anonymous reader's export
        csv = anonymous.get("/v1/export", params={"format": "annotations-csv", "entries": "d5"})
        assert csv.status_code == 200 and body not in csv.text


def test_print_layer_choices():
    from exporter.service.reader.pages import print_layers

    assert print_layers(["translation", "transcription"], "transcription") == (
        [("translation", "Translation"), ("transcription", "Transcription"), ("both", "Both layers")],
        "transcription")
    assert print_layers(["text"], "text") == ([("both", "Text")], "both")
    assert print_layers(["translation"], "translation") == ([("translation", "Translation")], "translation")


# -- the view helpers the page uses (public API) --------------------------------------------------

def test_toc_labels_and_details_rows(sample, frus):
    from exporter.view import NOT_AVAILABLE, details_rows, toc_labels

    labels = dict(zip((e.id for e in sample.entries), toc_labels(sample.entries), strict=True))
    assert labels["kd1-1918-03-03a"] == "3 March (1)" and labels["kd1-1918-03-03b"] == "3 March (2)"
    assert labels["kd1-1918-03-17"] == "c. 17 March"  # an approximate date says so
    assert labels["kd1-1918-04"] == "April 1918"  # a month without a day keeps its year
    frus_labels = toc_labels(frus.entries)  # two years: every label carries its year
    assert frus_labels[0] == "3 April 1917" and len(set(frus_labels)) == len(frus_labels)
    rows = dict(details_rows(next(e for e in sample.entries if e.id == "kd1-1918-03-06")))
    assert list(rows) == ["Title", "Author", "Recipient", "Repository", "ID", "Description", "Date", "Volume"]
    assert rows["Recipient"] == NOT_AVAILABLE == "N/A"
