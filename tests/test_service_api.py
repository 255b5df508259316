"""The HTTP API against a real ``exporter serve`` on 127.0.0.1 (one server for the module).

Files are checked with independent readers (pypdf, pdftotext, rispy); lists are compared with
what the command line prints for the same question.
"""

from __future__ import annotations

import json
import sqlite3
import time

import httpx
import jwt
import pytest
import rispy

from conftest import SAMPLE, run_cli
from support.service_server import SECRET, Server, assert_problem, auth, wait_state
from test_pdf import MARCH, assert_notes_near_calls, norm, page_texts
from test_pdf import expected as expected_doc
from test_visibility import USERS, raw
from test_visibility import expected as expected_visible

pypdf = pytest.importorskip("pypdf")

#: The ten-page March print of the PDF tests, as a request body.
MARCH_BODY = {"format": "pdf", "range": "kd1-1918-03-03a..kd1-1918-03-14", "pages": "20-29",
              "layer": "translation", "annotations": "visible", "accept_terms": True}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("service-api"), {"jobs": {"workers": 2}})
    srv.start()
    srv.baseline = metric_values(httpx.get(srv.url + "/metrics").text)  # 503s of /readyz while starting
    yield srv
    assert srv.stop() == 0, srv.log.read_text()


@pytest.fixture(scope="module")
def client(server):
    with server.client() as c:
        yield c


@pytest.fixture(scope="module")
def tokens(server):
    return {user: server.token(user) for user in USERS}


def metric_values(text: str) -> dict[str, float]:
    return {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines()
            if line and not line.startswith("#")}


def jobs_in_store(server) -> int:
    with sqlite3.connect(server.state / "jobs.sqlite3") as db:
        return db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]


def audit_rows(server) -> list[tuple]:
    with sqlite3.connect(server.state / "jobs.sqlite3") as db:
        return db.execute("SELECT job, reader, format, source_pages, pages, terms_accepted FROM audit "
                          "ORDER BY seq").fetchall()


# -- health, discovery ------------------------------------------------------------------------

def test_health_ready_openapi(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    spec = client.get("/openapi.json").json()
    for path in ("/v1/exports", "/v1/exports/{job_id}", "/v1/exports/{job_id}/result", "/v1/citations",
                 "/v1/export", "/v1/volumes", "/v1/volumes/{volume}/entries", "/v1/entries/{entry_id}",
                 "/v1/formats", "/v1/styles", "/healthz", "/readyz", "/metrics"):
        assert path in spec["paths"], path
    assert "ExportBody" in spec["components"]["schemas"]


def test_lists_match_the_command_line(client):
    for route, command in (("/v1/formats", "formats"), ("/v1/styles", "styles")):
        proc = run_cli(command, "--json")
        assert client.get(route).json() == json.loads(proc.stdout)
    toc = json.loads(run_cli("toc", "--json").stdout)
    vols = client.get("/v1/volumes").json()
    assert [v["id"] for v in vols] == ["kd1"] and vols[0]["entries"] == len(toc)
    assert client.get("/v1/volumes/kd1/entries").json() == toc
    assert_problem(client.get("/v1/volumes/nope/entries"), 404)


def test_entry_as_the_json_format_gives_it(client, tokens):
    proc = run_cli("export", "--entries", "kd1-1918-03-06", "--user", "irina", "--format", "json",
                   "--output", "-", "--accept-terms")
    from_cli = json.loads(proc.stdout)["entries"][0]
    got = client.get("/v1/entries/kd1-1918-03-06", headers=auth(tokens["irina"])).json()
    drop = ("citation",)  # the CLI's json export fills the style's citation; reading shows the plain one
    assert {k: v for k, v in got.items() if k not in drop} == {k: v for k, v in from_cli.items() if k not in drop}
    assert_problem(client.get("/v1/entries/kd1-1999-01-01"), 404)


# -- printing ---------------------------------------------------------------------------------

def test_ten_page_print_with_annotations_is_the_pdf_the_checks_accept(client, tokens, engine, tmp_path):
    r = client.post("/v1/exports", json=MARCH_BODY, headers={**auth(tokens["irina"]), "Prefer": "wait=120"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    assert r.headers["location"].startswith("/v1/exports/")
    path = tmp_path / "march.pdf"
    path.write_bytes(r.content)
    reader = pypdf.PdfReader(path)
    doc = expected_doc(engine, SAMPLE, MARCH)
    pages = page_texts(path)
    assert len(reader.pages) == len(pages) >= 2
    assert assert_notes_near_calls(doc, pages) >= 5
    text = " ".join(pages)
    assert len(doc.annotations) >= 8
    for a in doc.annotations:
        assert norm(a.body) in text, a.id
    status = client.get(r.headers["location"], headers=auth(tokens["irina"])).json()
    assert status["state"] == "done" and status["source_pages"] == 10
    assert status["rendered_pages"] == len(reader.pages)
    job = r.headers["location"].rsplit("/", 1)[1]
    row = [a for a in audit_rows(client_server(client)) if a[0] == job]
    assert row and row[0][1] == "irina" and row[0][2] == "pdf" and row[0][3] == 10 and row[0][5] == 1
    assert len(json.loads(row[0][4])) == 10


def client_server(client):
    return client._server  # set by the fixture below


@pytest.fixture(scope="module", autouse=True)
def _link(client, server):
    client._server = server


def test_202_then_poll_then_result(client, tokens):
    h = auth(tokens["tomas"])
    r = client.post("/v1/exports", json={"format": "docx", "entries": ["kd1-1918-03-06"], "accept_terms": True},
                    headers=h)
    assert r.status_code == 202, r.text
    loc = r.headers["location"]
    assert loc == f"/v1/exports/{r.json()['id']}" and len(r.json()["id"]) >= 22
    assert r.json()["state"] in ("queued", "running") and "queue_position" in r.json()
    done = wait_state(client, r.json()["id"], ("done", "failed"), headers=h)
    assert done["state"] == "done" and done["result"] == loc + "/result" and done["progress"] == 1
    res = client.get(done["result"], headers=h)
    assert res.status_code == 200
    assert res.headers["content-type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert 'filename="kd1-1918-03-06.docx"' in res.headers["content-disposition"]
    assert res.content[:2] == b"PK" and len(res.content) == done["size"]


def test_waited_answer_is_the_result_file(client, tokens):
    """``Prefer: wait`` answers with the same bytes, media type and file name as the result URL,
    which also offers validators and byte ranges."""
    h = auth(tokens["tomas"])
    body = {"format": "pdf", "entries": ["kd1-1918-03-06"], "accept_terms": True}
    waited = client.post("/v1/exports", json=body, headers={**h, "Prefer": "wait=60"})
    assert waited.status_code == 200, waited.text
    assert waited.headers["preference-applied"] == "wait=60"
    result = client.get(waited.headers["location"] + "/result", headers=h)
    assert result.status_code == 200 and result.content == waited.content and waited.content.startswith(b"%PDF-")
    for name in ("content-type", "content-disposition", "content-length"):
        assert waited.headers[name] == result.headers[name]
    assert result.headers["accept-ranges"] == "bytes" and result.headers["etag"]
    part = client.get(waited.headers["location"] + "/result", headers={**h, "Range": "bytes=0-4"})
    assert part.status_code == 206 and part.content == b"%PDF-"


def test_waited_answer_streams_a_large_or_vanished_file(tmp_path):
    from fastapi.responses import FileResponse

    from exporter.service.app import SMALL_RESULT, waited_file
    from exporter.service.jobs import JobStatus

    small, large = tmp_path / "small.pdf", tmp_path / "large.pdf"
    small.write_bytes(b"%PDF-1.7 small")
    large.write_bytes(b"x" * (SMALL_RESULT + 1))
    done = JobStatus(id="j", owner=None, state="done", filename="a.pdf", media_type="application/pdf")
    answer = waited_file(str(small), JobStatus(**{**done.as_dict(), "size": 14}), {"Location": "/v1/exports/j"})
    assert not isinstance(answer, FileResponse) and answer.body == b"%PDF-1.7 small"
    assert answer.headers["location"] == "/v1/exports/j" and 'filename="a.pdf"' in answer.headers["content-disposition"]
    for path, size in ((large, SMALL_RESULT + 1), (small, None), (tmp_path / "gone.pdf", 14)):
        streamed = waited_file(str(path), JobStatus(**{**done.as_dict(), "size": size}), {})
        assert isinstance(streamed, FileResponse)


def test_eleven_pages_and_no_terms_refused_before_queueing(client, server, tokens):
    before, audited = jobs_in_store(server), len(audit_rows(server))
    body = {**MARCH_BODY, "pages": None}
    r = client.post("/v1/exports", json=body, headers=auth(tokens["irina"]))
    p = assert_problem(r, 422)
    assert p["pages"] == 11 and p["limit"] == 10 and "11 source pages" in p["detail"]
    p = assert_problem(client.post("/v1/exports", json={**MARCH_BODY, "accept_terms": False}), 422)
    assert "terms" in p["detail"]
    assert jobs_in_store(server) == before and len(audit_rows(server)) == audited


# -- visibility and identity ------------------------------------------------------------------

def jsonld_ids(data: dict) -> set[str]:
    return {item["id"] for item in data["first"]["items"]} if data.get("first") else set()


@pytest.mark.parametrize("user", USERS + [None])
def test_visibility_matrix_through_http(client, tokens, user):
    """Every user and an anonymous reader get exactly the annotations the CLI tests expect."""
    h = auth(tokens[user]) if user else {}
    for mode in ("visible", "mine"):
        params = {"format": "annotations-jsonld", "all": "true", "annotations": mode}
        body = {"format": "annotations-jsonld", "all": True, "annotations": mode}
        if mode == "mine" and user is None:
            assert_problem(client.get("/v1/export", params=params), 401)
            assert_problem(client.post("/v1/exports", json=body), 401)
            continue
        want = expected_visible(user, mode)
        r = client.get("/v1/export", params=params, headers=h)
        assert r.status_code == 200, r.text
        assert jsonld_ids(r.json()) == want, (user, mode)
        r = client.post("/v1/exports", json=body, headers={**h, "Prefer": "wait=60"})
        assert r.status_code == 200, r.text
        assert jsonld_ids(r.json()) == want, (user, mode)
    # a print (json) and reading an entry show the same visible annotations of that entry
    r = client.post("/v1/exports", json={"format": "json", "entries": ["kd1-1918-03-06"], "accept_terms": True},
                    headers={**h, "Prefer": "wait=60"})
    assert r.status_code == 200, r.text
    printed = {a["id"] for a in r.json()["entries"][0]["annotations"]}
    read = {a["id"] for a in client.get("/v1/entries/kd1-1918-03-06", headers=h).json()["annotations"]}
    assert printed == read and printed <= expected_visible(user, "visible")
    others_private = {a["id"] for a in raw()[0] if a["visibility"] == "private"
                      and a["creator"]["nickname"] != user}
    assert not printed & others_private


def test_folders_need_their_reader(client, tokens):
    body = {"format": "ris", "folder": "grain-crisis"}
    assert_problem(client.post("/v1/exports", json=body), 403)  # anonymous: no folders
    assert_problem(client.post("/v1/exports", json=body, headers=auth(tokens["tomas"])), 403)
    r = client.post("/v1/exports", json=body, headers={**auth(tokens["irina"]), "Prefer": "wait=60"})
    assert r.status_code == 200 and len(rispy.loads(r.text)) == 6
    assert_problem(client.get("/v1/export", params={"format": "ris", "folder": "grain-crisis"},
                              headers=auth(tokens["dmitri"])), 403)


def test_another_readers_job_is_a_404(client, tokens):
    r = client.post("/v1/exports", json={"format": "ris", "all": True}, headers=auth(tokens["irina"]))
    job = r.json()["id"]
    wait_state(client, job, ("done",), headers=auth(tokens["irina"]))
    for h in (auth(tokens["tomas"]), {}):
        assert_problem(client.get(f"/v1/exports/{job}", headers=h), 404)
        assert_problem(client.get(f"/v1/exports/{job}/result", headers=h), 404)
        assert_problem(client.delete(f"/v1/exports/{job}", headers=h), 404)
    assert client.get(f"/v1/exports/{job}/result", headers=auth(tokens["irina"])).status_code == 200
    assert_problem(client.get("/v1/exports/AAAAAAAAAAAAAAAAAAAAAA"), 404)


def _claims(**over):
    now = int(time.time())
    claims = {"sub": "irina", "iss": "archive-exporter", "aud": "archive-exporter", "iat": now, "exp": now + 600}
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.mark.parametrize("case", ["forged", "expired", "audience", "issuer", "alg-none", "no-sub", "no-exp",
                                  "garbage", "scheme", "rs-key-confusion"])
def test_bad_tokens_get_401(client, case):
    token = {
        "forged": lambda: jwt.encode(_claims(), "another-secret-that-is-long-enough-0123456789", "HS256"),
        "expired": lambda: jwt.encode(_claims(exp=int(time.time()) - 3600), SECRET, "HS256"),
        "audience": lambda: jwt.encode(_claims(aud="someone-else"), SECRET, "HS256"),
        "issuer": lambda: jwt.encode(_claims(iss="someone-else"), SECRET, "HS256"),
        "alg-none": lambda: jwt.encode(_claims(), None, "none"),
        "no-sub": lambda: jwt.encode(_claims(sub=None), SECRET, "HS256"),
        "no-exp": lambda: jwt.encode(_claims(exp=None), SECRET, "HS256"),
        "garbage": lambda: "not.a.token",
        "scheme": lambda: None,
        "rs-key-confusion": lambda: jwt.encode(_claims(), SECRET * 2, "HS512"),  # another algorithm
    }[case]()
    header = {"Authorization": "Basic aXJpbmE6eA=="} if token is None else auth(token)
    for method, path in (("GET", "/v1/formats"), ("POST", "/v1/exports"), ("GET", "/v1/entries/kd1-1918-03-06")):
        r = client.request(method, path, headers=header, json={"format": "ris", "all": True})
        assert_problem(r, 401)
        assert r.headers["www-authenticate"].startswith("Bearer")


def test_a_reader_unknown_to_the_archive_is_refused_without_the_reader_list(client, server):
    h = auth(server.token("mallory"))
    assert client.get("/v1/formats", headers=h).status_code == 200
    for r in (client.post("/v1/exports", json={"format": "ris", "all": True}, headers=h),
              client.get("/v1/entries/kd1-1918-03-06", headers=h)):
        p = assert_problem(r, 403)
        assert "mallory" in p["detail"] and "irina" not in p["detail"]


def test_good_token_from_exporter_token_works(client, server):
    short = server.token("leila", ttl=60)
    claims = jwt.decode(short, SECRET, algorithms=["HS256"], audience="archive-exporter")
    assert claims["sub"] == "leila" and claims["iss"] == "archive-exporter" and claims["exp"] - claims["iat"] == 60
    assert client.get("/v1/formats", headers=auth(short)).status_code == 200


# -- hostile input ----------------------------------------------------------------------------

HOSTILE = [
    ({"format": 5, "all": True}, 400),
    ({"format": "pdf", "entries": "kd1-1918-03-06"}, 400),
    ({"format": "pdf", "entries": [["a"]]}, 400),
    ({"format": "pdf", "all": "yes"}, 400),
    ({"format": "pdf", "entries": ["x"] * 100_000}, 413),  # over the body cap
    ({"format": "pdf", "entries": ["x"] * 3000}, 400),  # under the cap, over the list limit
    ({"format": "ris", "tags": ["t"] * 1000, "all": True}, 400),
    ({"format": "no-such-format", "all": True}, 400),
    ({"format": "../../etc/passwd", "all": True}, 400),
    ({"format": "pdf", "style": "/etc/passwd", "all": True, "accept_terms": True}, 400),
    ({"format": "pdf", "style": "../styles/x.csl", "entries": ["kd1-1918-03-06"], "accept_terms": True}, 400),
    ({"format": "ris"}, 400),
    ({"format": "ris", "all": True, "entries": ["kd1-1918-03-06"]}, 400),
    ({"format": "ris", "entries": ["kd1-1918-03-06,kd1-1918-03-10"]}, 400),
    ({"format": "ris", "entries": ["nope"]}, 404),
    ({"format": "ris", "range": "a"}, 400),
    ({"format": "ris", "dates": "1918-13..1918-14"}, 400),
    ({"format": "pdf", "entries": ["kd1-1918-03-06"], "pages": "٣-٤", "accept_terms": True}, 400),
    ({"format": "ris", "all": True, "layer": "secret"}, 400),
    ({"format": "ris", "all": True, "unknown": 1}, 400),
    ({"format": "ris", "all": True, "options": {"a": {"b": 1}}}, 400),
    ({"format": "ris", "all": True, "annotations": "mine"}, 401),  # anonymous: a token is missing
    ([1, 2, 3], 400),
    ("a string", 400),
    (None, 400),
]


@pytest.mark.parametrize("body,status", HOSTILE, ids=[str(i) for i in range(len(HOSTILE))])
def test_hostile_bodies_get_problems(client, body, status):
    assert_problem(client.post("/v1/exports", json=body), status)


def test_an_option_the_format_refuses_is_the_readers_error_before_any_job(client):
    """Format options are checked by the engine with the rest of the request: nothing is queued."""
    body = {"format": "pdf", "entries": ["kd1-1918-03-06"], "accept_terms": True, "options": {"paper": "papyrus"}}
    p = assert_problem(client.post("/v1/exports", json=body, headers={"Prefer": "wait=60"}), 400)
    assert p["detail"] == "paper 'papyrus': unknown; known values: a4, letter" and "job" not in p
    body = {"format": "docx", "entries": ["kd1-1918-03-06"], "accept_terms": True,
            "options": {"pdf_variant": "pdf/ua-1"}}
    p = assert_problem(client.post("/v1/exports", json=body), 400)
    assert p["detail"] == "format 'docx' has no option pdf_variant; its options: paper" and "job" not in p


def test_format_options_are_checked_before_queueing(client, server):
    before = jobs_in_store(server)
    for options in ({"paper": "papyrus"}, {"no_such_option": "x"}):
        body = {"format": "pdf", "entries": ["kd1-1918-03-06"], "accept_terms": True, "options": options}
        p = assert_problem(client.post("/v1/exports", json=body, headers={"Prefer": "wait=60"}), 400)
        assert "job" not in p
    assert jobs_in_store(server) == before
    body = {"format": "pdf", "entries": ["kd1-1918-03-06"], "accept_terms": True, "options": {"paper": "letter"}}
    r = client.post("/v1/exports", json=body, headers={"Prefer": "wait=60"})
    assert r.status_code == 200, r.text
    box = pypdf.PdfReader(__import__("io").BytesIO(r.content)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)  # US letter


def test_hostile_raw_bodies(client):
    assert_problem(client.post("/v1/exports", content=b"{not json", headers={"content-type": "application/json"}),
                   400)
    assert_problem(client.post("/v1/exports", content=b"\xff\xfe" * 100, headers={"content-type": "application/json"}),
                   400)
    big = b'{"format": "ris", "all": true, "tags": ["' + b"x" * (10 * 1024 * 1024) + b'"]}'
    assert_problem(client.post("/v1/exports", content=big, headers={"content-type": "application/json"}), 413)

    def chunks():  # no Content-Length: the cap counts what arrives
        yield b'{"format": "ris", "all": true, "tags": ["'
        for _ in range(160):
            yield b"x" * 65536
        yield b'"]}'

    assert_problem(client.post("/v1/exports", content=chunks(), headers={"content-type": "application/json"}), 413)
    deep = b"[" * 100_000 + b"]" * 100_000
    r = client.post("/v1/exports", content=deep, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500
    assert_problem(client.get("/v1/citations", params={"entries": "kd1-1918-03-06", "style": "/etc/passwd"}), 400)
    assert_problem(client.get("/v1/citations", params={"entries": "kd1-1918-03-06", "style": "x.csl"}), 400)
    assert_problem(client.get("/v1/citations", params={"entries": "kd1-1918-03-06", "style": "apa",
                                                       "mode": "sideways"}), 400)
    assert_problem(client.get("/v1/export", params={"format": "pdf", "all": "true"}), 400)
    assert_problem(client.get("/v1/export", params={"format": "ris", "all": "maybe"}), 400)
    assert_problem(client.get("/v1/nowhere"), 404)
    assert_problem(client.put("/v1/exports"), 405)


# -- at once ----------------------------------------------------------------------------------

def test_citations_as_exporter_cite(client):
    for mode in ("bibliography", "note"):
        for as_ in ("text", "html"):
            ids = "kd1-1918-03-10,kd1-1918-03-06,kd1-1918-03-10"
            proc = run_cli("cite", "--entries", ids, "--style", "chicago-notes-bibliography", "--mode", mode,
                           "--as", as_)
            r = client.get("/v1/citations", params={"entries": ids, "style": "chicago-notes-bibliography",
                                                    "mode": mode, "as": as_})
            assert r.status_code == 200, r.text
            assert [c["citation"] for c in r.json()["citations"]] == proc.stdout.decode().splitlines()
    assert_problem(client.get("/v1/citations", params={"entries": "nope", "style": "apa"}), 404)


CLUSTER = "kd1-1918-03-10,kd1-1918-03-06;kd1-1918-03-10@21;kd1-1918-03-10@22"


@pytest.mark.parametrize("style,mode,locale", [("chicago-notes-bibliography", "note", "ru-RU"),
                                               ("apa", "in-text", "en-GB"),
                                               ("gost-r-7-0-5-2008", "bibliography", None)])
def test_cluster_and_locale_as_exporter_cite(client, style, mode, locale):
    args = ["--cluster", CLUSTER, "--style", style, "--mode", mode] + (["--locale", locale] if locale else [])
    params = {"cluster": CLUSTER, "style": style, "mode": mode, **({"locale": locale} if locale else {})}
    for as_ in ("text", "html"):
        proc = run_cli("cite", *args, "--as", as_)
        r = client.get("/v1/citations", params={**params, "as": as_})
        assert r.status_code == 200, r.text
        lines = [c["citation"] for c in r.json()["citations"]]
        assert lines == proc.stdout.decode().splitlines() and lines
    if locale == "ru-RU":  # the locale is used, not only passed along
        assert "под ред." in lines[0] and "«10 March 1918»" in lines[0]
        english = client.get("/v1/citations", params={**params, "locale": "en-US"}).json()["citations"]
        assert "“10 March 1918,”" in english[0]["citation"] and "под ред." not in english[0]["citation"]


def test_bad_locale_or_cluster_is_a_problem(client):
    base = {"style": "apa", "mode": "note"}
    body = assert_problem(client.get("/v1/citations", params={**base, "entries": "kd1-1918-03-06",
                                                              "locale": "xx-YY"}), 400)
    assert body["detail"].startswith("unknown locale 'xx-YY'; available:") and "ru-RU" in body["detail"]
    body = assert_problem(client.get("/v1/citations", params={**base, "entries": "kd1-1918-03-06",
                                                              "locale": "../../etc/passwd"}), 400)
    assert body["detail"].startswith("query.locale:")
    body = assert_problem(client.get("/v1/citations", params={**base, "cluster": "kd1-1918-03-06,,;"}), 400)
    assert body["detail"].startswith("cluster: empty entry id")
    body = assert_problem(client.get("/v1/citations", params={**base, "cluster": "kd1-1918-03-06,nope"}), 404)
    assert "'nope'" in body["detail"]
    body = assert_problem(client.get("/v1/citations", params={**base, "cluster": "kd1-1918-03-06",
                                                              "entries": "kd1-1918-03-06"}), 400)
    assert "either cluster or a selection" in body["detail"]
    assert_problem(client.get("/v1/citations", params={**base, "cluster": ""}), 400)
    assert_problem(client.get("/v1/export", params={"format": "annotations-md", "all": "true",
                                                    "style": "apa", "locale": "xx-YY"}), 400)
    assert_problem(client.post("/v1/exports", json={"format": "annotations-md", "all": True, "locale": "x"}), 400)


def test_exports_take_the_locale(client, tokens):
    def citations(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.startswith(("Citation:", "Reference:"))]

    args = ("--format", "annotations-md", "--style", "chicago-notes-bibliography", "--locale", "ru-RU")
    proc = run_cli("export", "--all", *args, "--output", "-")
    params = {"format": "annotations-md", "all": "true", "style": "chicago-notes-bibliography"}
    r = client.get("/v1/export", params={**params, "locale": "ru-RU"})
    assert r.status_code == 200, r.text
    assert citations(r.text) == citations(proc.stdout.decode()) and "под ред." in r.text
    assert "под ред." not in client.get("/v1/export", params=params).text
    r = client.post("/v1/exports", json={"format": "annotations-md", "all": True, "style": "chicago-notes-bibliography",
                                         "locale": "ru-RU"}, headers={"Prefer": "wait=60"})
    assert r.status_code == 200, r.text
    assert citations(r.text) == citations(proc.stdout.decode())


def test_streamed_exports_match_the_command_line(client, tokens):
    for fmt in ("ris", "bibtex", "csl-json"):
        proc = run_cli("export", "--all", "--format", fmt, "--output", "-")
        r = client.get("/v1/export", params={"format": fmt, "all": "true"})
        assert r.status_code == 200 and r.content == proc.stdout, fmt
        assert r.headers["content-disposition"].startswith('attachment; filename="all.')
    assert len(rispy.loads(client.get("/v1/export", params={"format": "ris", "all": "true"}).text)) > 20
    proc = run_cli("export", "--all", "--user", "tomas", "--annotations", "visible", "--format", "annotations-csv",
                   "--output", "-")
    r = client.get("/v1/export", params={"format": "annotations-csv", "all": "true"}, headers=auth(tokens["tomas"]))
    assert r.status_code == 200 and r.content == proc.stdout


@pytest.mark.parametrize("style,locale,as_", [("chicago-notes-bibliography", None, "text"),
                                              ("apa", "ru-RU", "html")])
def test_a_bibliography_in_a_style_as_exporter_cite(client, tokens, style, locale, as_):
    """The bibliography format streamed and queued: what exporter cite prints, byte for byte."""
    proc = run_cli("cite", "--all", "--mode", "bibliography", "--style", style, "--as", as_,
                   *(["--locale", locale] if locale else []))
    assert proc.returncode == 0 and proc.stdout.count(b"\n") == 46
    params = {"format": "bibliography", "all": "true", "style": style, "as": as_,
              **({"locale": locale} if locale else {})}
    r = client.get("/v1/export", params=params)
    assert r.status_code == 200, r.text
    assert r.content == proc.stdout
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["content-disposition"].startswith('attachment; filename="all.txt"')
    body = {"format": "bibliography", "all": True, "style": style, "options": {"as": as_},
            **({"locale": locale} if locale else {})}
    h = auth(tokens["tomas"])
    r = client.post("/v1/exports", json=body, headers=h)
    assert r.status_code == 202, r.text
    done = wait_state(client, r.json()["id"], ("done", "failed"), headers=h)
    assert done["state"] == "done", done
    assert client.get(done["result"], headers=h).content == proc.stdout


def test_a_bibliography_with_a_bad_style_is_a_problem_and_no_job(client, server):
    before = jobs_in_store(server)
    for style, words in (("no-such-style", "style 'no-such-style' is an unknown style"),
                         ("agora", "style 'agora' has no bibliography")):
        body = assert_problem(client.get("/v1/export", params={"format": "bibliography", "all": "true",
                                                               "style": style}), 400)
        assert body["detail"].startswith(words), body
        body = assert_problem(client.post("/v1/exports", json={"format": "bibliography", "all": True,
                                                                "style": style}), 400)
        assert body["detail"].startswith(words), body
    body = assert_problem(client.get("/v1/export", params={"format": "bibliography", "all": "true", "style": "apa",
                                                           "as": "pdf"}), 400)
    assert body["detail"] == "as 'pdf': unknown; known values: text, html"  # the service's spelling
    assert jobs_in_store(server) == before
    assert not list(server.state.rglob(".stream-*"))  # no spool file left behind


def test_metrics_count(client, server):
    text = client.get("/metrics").text
    assert 'exporter_jobs_total{outcome="done"}' in text and "exporter_queue_depth 0" in text
    values = metric_values(text)
    assert values['exporter_http_responses_total{code="4xx"}'] >= 1
    five = 'exporter_http_responses_total{code="5xx"}'
    assert values[five] == server.baseline[five], "no 5xx answer after start-up"
    assert values["exporter_job_seconds_count"] >= 1
    assert values['exporter_jobs_total{outcome="done"}'] >= 1


def test_a_remembered_token_still_expires(tmp_path):
    """The verifier remembers tokens that verified (no signature check per request); a token
    it remembers is refused once it expires, and a forged one never reaches the memory."""
    from exporter.service.auth import TokenError, Verifier
    from exporter.service.config import Config

    config = Config()
    config.auth.secret, config.auth.leeway = SECRET, 0
    config.service.state_dir = str(tmp_path)
    verifier = Verifier(config)
    token = jwt.encode(_claims(exp=int(time.time()) + 2), SECRET, "HS256")
    assert verifier.identity(f"Bearer {token}").user == "irina"
    assert verifier.identity(f"Bearer {token}").user == "irina"  # from the memory
    forged = jwt.encode(_claims(sub="leila"), "another-secret-that-is-long-enough-0123456789", "HS256")
    for _ in range(2):
        with pytest.raises(TokenError, match="signature"):
            verifier.identity(f"Bearer {forged}")
    time.sleep(3)
    with pytest.raises(TokenError, match="expired"):
        verifier.identity(f"Bearer {token}")
