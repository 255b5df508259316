"""Annotation exports through the real console script: --tag/--creator filters, refusals, FRUS."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import FRUS, SAMPLE
from support.annotation_exports import (
    allowed,
    bodies_of,
    creator_of,
    html_text,
    markdown_html,
    must_failures,
    raw_annotations,
    read_csv,
    squash,
)

ARCHIVE = json.loads((SAMPLE / "archive.json").read_text(encoding="utf-8"))
RAW = raw_annotations(SAMPLE)


def _ids_csv(cli, *args: str) -> set[str]:
    done = cli("export", "--all", "--format", "annotations-csv", "--output", "-", *args)
    assert done.returncode == 0, done.stderr.decode()
    return {r["annotation_id"] for r in read_csv(done.stdout)}


def _popular_tags(n: int) -> list[str]:
    counts: dict[str, int] = {}
    for a in RAW.values():
        for t in bodies_of(a)[1]:
            counts[t] = counts.get(t, 0) + 1
    return sorted(counts, key=lambda t: (-counts[t], t))[:n]


def test_tag_filter(cli):
    tag, other = _popular_tags(2)
    base = allowed(RAW, ARCHIVE, "visible", "tomas")
    want = {i for i in base if tag in bodies_of(RAW[i])[1]}
    assert want and want != base
    assert _ids_csv(cli, "--user", "tomas", "--tag", tag) == want
    both = {i for i in base if {tag, other} & set(bodies_of(RAW[i])[1])}
    assert _ids_csv(cli, "--user", "tomas", "--tag", tag, "--tag", other) == both
    assert _ids_csv(cli, "--user", "tomas", "--tag", "no-such-tag") == set()


def test_creator_filter(cli):
    base = allowed(RAW, ARCHIVE, "visible", "leila")
    want = {i for i in base if creator_of(RAW[i]) == "irina"}
    assert want and want != base
    assert _ids_csv(cli, "--user", "leila", "--creator", "irina") == want
    two = {i for i in base if creator_of(RAW[i]) in ("irina", "dmitri")}
    assert _ids_csv(cli, "--user", "leila", "--creator", "irina", "--creator", "dmitri") == two
    # Filtering by a creator never widens what the user may see.
    assert _ids_csv(cli, "--creator", "irina") == {i for i in allowed(RAW, ARCHIVE, "visible", None)
                                                   if creator_of(RAW[i]) == "irina"}


def test_tag_and_creator_with_mine_in_markdown(cli, tmp_path):
    tag = _popular_tags(1)[0]
    out = tmp_path / "mine.md"
    done = cli("export", "--all", "--format", "annotations-md", "--output", str(out), "--user", "irina",
               "--annotations", "mine", "--tag", tag)
    assert done.returncode == 0, done.stderr.decode()
    want = {i for i in allowed(RAW, ARCHIVE, "mine", "irina") if tag in bodies_of(RAW[i])[1]}
    text = squash(html_text(markdown_html(out.read_text(encoding="utf-8")))[0])
    assert text.count("Annotation: ") == len(want)
    for i in want:
        assert text.count(f"Annotation: {i}") == 1


def test_not_under_the_print_limit_and_formats_listed(cli, tmp_path):
    out = tmp_path / "all.jsonld"
    done = cli("export", "--all", "--format", "annotations-jsonld", "--output", str(out), "--json")
    assert done.returncode == 0, done.stderr.decode()
    result = json.loads(done.stdout)
    assert result["source_pages"] > 10 and result["media_type"] == "application/ld+json"
    listed = {f["name"]: f for f in json.loads(cli("formats", "--json").stdout)}
    for name, media in (("annotations-jsonld", "application/ld+json"), ("annotations-csv", "text/csv"),
                        ("annotations-md", "text/markdown")):
        assert listed[name]["media_type"] == media and listed[name]["print_limited"] is False


def test_mine_without_user_is_refused(cli, tmp_path):
    out = tmp_path / "x.csv"
    done = cli("export", "--all", "--format", "annotations-csv", "--output", str(out), "--annotations", "mine")
    assert done.returncode != 0 and b"--user" in done.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


# -- FRUS (no annotations of its own) ---------------------------------------------------------

@pytest.fixture(scope="module")
def frus_corpus(tmp_path_factory, frus) -> Path:
    """The FRUS volume with a few annotations on two documents, one user and one group."""
    folder = tmp_path_factory.mktemp("frus")
    shutil.copy(FRUS, folder)
    (folder / "archive.json").write_text(json.dumps({
        "users": {"ana": {"name": "Ana Pereira"}, "ben": {"name": "Ben Okafor"}},
        "groups": {"frus-readers": {"name": "FRUS readers", "members": ["ana"]}},
        "folders": []}), encoding="utf-8")
    made = []
    docs = [e for e in frus.entries if "text" in e.layers and len(e.layers["text"].text) > 400][:2]
    for d, entry in enumerate(docs):
        text = entry.layers["text"].text
        for k, (vis, who) in enumerate((("public", "ben"), ("group", "ana"), ("private", "ana"), ("private", "ben"))):
            start = 60 + 70 * k
            exact = text[start:start + 40]
            assert text.count(exact) == 1
            a = {"@context": "http://www.w3.org/ns/anno.jsonld", "id": f"https://example.org/frus-anno/{d}-{k}",
                 "type": "Annotation", "created": "2026-03-01T10:00:00Z",
                 "creator": {"type": "Person", "nickname": who},
                 "body": [{"type": "TextualBody", "value": f"note {d}-{k} *not emphasis*"},
                          {"type": "TextualBody", "value": "telegram", "purpose": "tagging"}],
                 "target": {"source": entry.layer_iri("text"),
                            "selector": [{"type": "TextQuoteSelector", "exact": exact},
                                         {"type": "TextPositionSelector", "start": start, "end": start + 40}]},
                 "visibility": vis}
            if vis == "group":
                a["group"] = "frus-readers"
            made.append(a)
    (folder / "notes.jsonld").write_text(json.dumps(made), encoding="utf-8")
    return folder


@pytest.mark.parametrize("user", [None, "ana", "ben"])
def test_frus_exports(cli, tmp_path, frus_corpus, user):
    raw = raw_annotations(frus_corpus)
    archive = json.loads((frus_corpus / "archive.json").read_text(encoding="utf-8"))
    want = allowed(raw, archive, "visible", user)
    args = ["--corpus", str(frus_corpus)] + (["--user", user] if user else [])
    outs = {}
    for fmt in ("jsonld", "csv", "md"):
        out = tmp_path / f"frus.{fmt}"
        done = cli("export", "--all", "--format", f"annotations-{fmt}", "--output", str(out), *args)
        assert done.returncode == 0, done.stderr.decode()
        outs[fmt] = out.read_bytes()
    coll = json.loads(outs["jsonld"])
    got = {a["id"] for a in coll["first"]["items"]}
    assert got == want and coll["total"] == len(want)
    for a in coll["first"]["items"]:
        assert must_failures(a) == []
        assert a["target"]["source"].startswith("https://history.state.gov/historicaldocuments/frus1918Russiav03/d")
        quote = a["target"]["selector"][0]
        assert quote["prefix"] and quote["suffix"] and a["target"]["page"]
    rows = read_csv(outs["csv"])
    assert {r["annotation_id"] for r in rows} == want
    assert all(r["layer"] == "text" and r["tags"] == "telegram" for r in rows)
    text, tags = html_text(markdown_html(outs["md"].decode("utf-8")))
    assert "em" not in tags and squash(text).count("*not emphasis*") == len(want)


def test_markdown_citations_follow_the_style(cli):
    public = sorted(allowed(RAW, ARCHIVE, "visible", None))
    raw_entry = RAW[public[0]]["target"]["source"].rsplit("/", 2)[-2]
    done = cli("export", "--entries", raw_entry, "--format", "annotations-md", "--output", "-", "--style", "apa")
    assert done.returncode == 0, done.stderr.decode()
    text = squash(html_text(markdown_html(done.stdout.decode("utf-8")))[0])
    assert "Citation: (Dolgorukov, 1918)" in text
    assert "Reference: Dolgorukov, K. (1918)." in text
