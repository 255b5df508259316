"""Hostile annotation files and archive files: schema-checked, bounded, one line, never a traceback.

A malformed annotation file is one reader's problem: it is left out with a one-line warning and
every command on the corpus keeps working.  A malformed ``archive.json`` decides who sees what,
so it refuses the corpus (exit 3) in one line.  Hypothesis generates both kinds of file.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.cli import main
from exporter.errors import CorpusError
from exporter.model import Corpus
from exporter.sources import annotations as annotations_mod
from exporter.sources.annotations import read_annotations
from exporter.sources.corpus import _load_archive
from exporter.sources.schema import load_schema, validate
from exporter.textnorm import Cleaner

VICTIM = "annotations/irina.jsonld"


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def sample_anns(sample_path):
    return json.loads((sample_path / VICTIM).read_text())


@pytest.fixture
def corpus_copy(tmp_path, sample_path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(sample_path, folder)
    return folder


@pytest.fixture(scope="module")
def layer_index(sample):
    return {e.layer_iri(name): (e, name) for e in sample.entries for name in e.layers}


def export_ok(capsys, corpus: Path, user: str = "tomas") -> tuple[list[str], dict]:
    """Export every annotation ``user`` may see as JSON-LD; the run must succeed without a traceback."""
    out = corpus.parent / "notes.jsonld"
    code, stdout, err = run_main(capsys, "export", "--corpus", str(corpus), "--all", "--user", user,
                                 "--format", "annotations-jsonld", "--output", str(out))
    assert code == 0, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert all(line.startswith("exporter: warning: ") for line in lines), err
    return lines, json.loads(out.read_text())


def ids_in(export: dict) -> set[str]:
    first = export.get("first") or {}
    return {a["id"] for a in first.get("items", [])}


# -- whole-file problems: the file is left out, in one line, and nothing else is harmed ------------

def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


WHOLE_FILE = {
    "infinity": lambda t: t.replace('"start": 9', '"start": Infinity', 1),
    "minus-infinity": lambda t: t.replace('"start": 9', '"start": -Infinity', 1),
    "nan": lambda t: t.replace('"start": 9', '"start": NaN', 1),
    "5000-digit-int": lambda t: t.replace('"start": 9', '"start": ' + "9" * 5000, 1),
    "50-digit-int": lambda t: t.replace('"start": 9', '"start": ' + "9" * 50, 1),
    "huge-float": lambda t: t.replace('"start": 9', '"start": 1e999', 1),
    "long-float": lambda t: t.replace('"start": 9', '"start": 1.' + "5" * 4000, 1),
    "nested-1000": lambda t: t.replace('"start": 9', '"start": ' + _nested(1000), 1),
    "nested-100000": lambda t: t.replace('"start": 9', '"start": ' + _nested(100_000), 1),
    "nested-objects": lambda t: t.replace('"start": 9', '"start": ' + '{"a":' * 5000 + "1" + "}" * 5000, 1),
    "truncated": lambda t: t[: len(t) // 2],
    "empty": lambda t: "",
    "whitespace": lambda t: "   \n",
    "null": lambda t: "null",
    "number": lambda t: "5",
    "string": lambda t: '"annotations"',
    "true": lambda t: "true",
    "trailing-garbage": lambda t: t + "]",
    "two-documents": lambda t: t + t,
    "single-quotes": lambda t: t.replace('"', "'"),
    "comment": lambda t: "// notes\n" + t,
    "page-items-string": lambda t: '{"type": "AnnotationPage", "items": "abc"}',
    "page-items-numbers": lambda t: '{"type": "AnnotationPage", "items": [1, 2, 3]}',
    "collection-first-string": lambda t: '{"type": "AnnotationCollection", "first": "page1"}',
    "collection-first-list-of-strings": lambda t: '{"type": "AnnotationCollection", "first": ["a"]}',
    "list-of-lists": lambda t: "[[1], [2]]",
    "list-of-nulls": lambda t: "[null, null]",
}


@pytest.mark.parametrize("case", sorted(WHOLE_FILE))
def test_broken_annotation_file_is_left_out_in_one_line(capsys, corpus_copy, case):
    path = corpus_copy / VICTIM
    path.write_text(WHOLE_FILE[case](path.read_text()))
    code, out, err = run_main(capsys, "toc", "--corpus", str(corpus_copy))
    assert code == 0 and "Traceback" not in err and out.count("kd1-") >= 40
    lines, export = export_ok(capsys, corpus_copy)
    mentions = [line for line in lines if "irina.jsonld" in line]
    assert len(mentions) <= 1 and "Traceback" not in "".join(lines)
    ids = ids_in(export)
    assert ids and not any(i.endswith(("a0001", "a0005")) for i in ids)  # irina's are gone, others stay


BYTES = {
    "not-utf8": b'[{"id": "\xff\xfe"}]',
    "utf16": json.dumps([]).encode("utf-16"),
    "nul-bytes": b"\0" * 100,
    "binary": bytes(range(256)) * 10,
}


@pytest.mark.parametrize("case", sorted(BYTES))
def test_undecodable_annotation_file(capsys, corpus_copy, case):
    (corpus_copy / VICTIM).write_bytes(BYTES[case])
    lines, export = export_ok(capsys, corpus_copy)
    assert any("irina.jsonld" in line and "left out" in line for line in lines), lines
    assert ids_in(export)


def test_bom_is_accepted(capsys, corpus_copy):
    path = corpus_copy / VICTIM
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    lines, export = export_ok(capsys, corpus_copy, user="irina")
    assert not [line for line in lines if "irina.jsonld" in line]
    assert any(i.endswith("a0001") for i in ids_in(export))


@pytest.mark.parametrize("kind", ["fifo", "folder", "dev-zero", "dangling-link"])
def test_annotation_file_that_is_not_a_regular_file(capsys, corpus_copy, kind):
    path = corpus_copy / "annotations" / "odd.jsonld"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    else:
        path.symlink_to(corpus_copy / "nowhere")
    started = time.monotonic()
    lines, export = export_ok(capsys, corpus_copy)
    assert time.monotonic() - started < 60  # a pipe nobody writes never hangs the command
    assert any("odd.jsonld" in line for line in lines), lines
    assert ids_in(export)


def test_fifo_as_the_corpus_is_refused_not_hung(capsys, tmp_path):
    fifo = tmp_path / "volume.xml"
    os.mkfifo(fifo)
    code, _, err = run_main(capsys, "toc", "--corpus", str(fifo))
    assert code == 3 and len(err.strip().splitlines()) == 1 and "not a regular file" in err


def test_fifo_volume_inside_a_corpus_folder_is_skipped(capsys, corpus_copy):
    os.mkfifo(corpus_copy / "zz-volume.xml")
    lines, export = export_ok(capsys, corpus_copy)
    assert any("zz-volume.xml" in line and "not a regular file" in line for line in lines)


def test_oversized_annotation_file(capsys, corpus_copy, monkeypatch):
    monkeypatch.setattr(annotations_mod, "MAX_FILE_BYTES", 1000)
    lines, export = export_ok(capsys, corpus_copy)
    assert sum("larger than 1000 bytes" in line for line in lines) == 4  # every reader's file
    assert not ids_in(export)


# -- one bad annotation: left out, the rest of the file kept ---------------------------------------

def _sel(ann: dict, kind: str) -> dict:
    return next(s for s in ann["target"]["selector"] if s["type"] == kind)


def _set(path: str, value):
    def change(ann: dict) -> None:
        parts = path.split(".")
        node = ann
        for p in parts[:-1]:
            node = (next(s for s in node["selector"] if s["type"] == p) if p.endswith("Selector")
                    else node[p])
        node[parts[-1]] = value
    return change


def _delete(key: str):
    return lambda ann: ann.pop(key)


ONE_BAD = {
    "group-number": _set("group", 5),
    "group-list": _set("group", ["petrograd-seminar"]),
    "group-object": _set("group", {"name": "x"}),
    "group-empty": _set("group", ""),
    "group-null": _set("group", None),
    "visibility-unknown": _set("visibility", "secret"),
    "visibility-number": _set("visibility", 1),
    "visibility-list": _set("visibility", ["public"]),
    "id-missing": _delete("id"),
    "id-number": _set("id", 5),
    "id-empty": _set("id", ""),
    "id-huge": _set("id", "x" * 5000),
    "target-missing": _delete("target"),
    "target-string": _set("target", "https://archive.example.org/kd/kd1/kd1-1918-03-03a/translation"),
    "target-empty-list": _set("target", []),
    "target-two": lambda a: a.__setitem__("target", [a["target"], a["target"]]),
    "source-number": _set("target.source", 5),
    "source-unknown": _set("target.source", "https://elsewhere.example/x"),
    "selector-missing": lambda a: a["target"].pop("selector"),
    "selector-empty": _set("target.selector", []),
    "selector-string": _set("target.selector", "TextQuoteSelector"),
    "exact-empty": _set("target.TextQuoteSelector.exact", ""),
    "exact-number": _set("target.TextQuoteSelector.exact", 5),
    "exact-null": _set("target.TextQuoteSelector.exact", None),
    "exact-list": _set("target.TextQuoteSelector.exact", ["a"]),
    "exact-missing": lambda a: _sel(a, "TextQuoteSelector").pop("exact"),
    "prefix-number": _set("target.TextQuoteSelector.prefix", 5),
    "suffix-list": _set("target.TextQuoteSelector.suffix", ["x"]),
    "start-string": _set("target.TextPositionSelector.start", "9"),
    "start-negative": _set("target.TextPositionSelector.start", -1),
    "start-fraction": _set("target.TextPositionSelector.start", 1.5),
    "start-too-big": _set("target.TextPositionSelector.start", 10**12),
    "end-bool": _set("target.TextPositionSelector.end", True),
    "end-null": _set("target.TextPositionSelector.end", None),
    "body-number": _set("body", 5),
    "body-list-of-numbers": _set("body", [5, 6]),
    "body-value-number": lambda a: a["body"][0].__setitem__("value", 5),
    "body-value-object": lambda a: a["body"][0].__setitem__("value", {"x": 1}),
    "purpose-number": lambda a: a["body"][0].__setitem__("purpose", 5),
    "body-value-huge": lambda a: a["body"][0].__setitem__("value", "x" * 1_000_001),
    "bodyValue-number": _set("bodyValue", 5),
    "creator-number": _set("creator", 5),
    "creator-list-of-numbers": _set("creator", [5]),
    "creator-nickname-number": lambda a: a["creator"].__setitem__("nickname", 5),
    "creator-name-object": lambda a: a["creator"].__setitem__("name", {"x": 1}),
    "created-number": _set("created", 20260101),
    "modified-list": _set("modified", ["2026"]),
    "motivation-object": _set("motivation", {"x": 1}),
    "type-number": _set("type", 5),
    "not-an-object": lambda a: a.clear(),
}


@pytest.mark.parametrize("case", sorted(ONE_BAD))
def test_one_bad_annotation_is_left_out(case, sample_anns, layer_index):
    anns = json.loads(json.dumps(sample_anns))
    victim = anns[0]
    ONE_BAD[case](victim)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "irina.jsonld"
        path.write_text(json.dumps(anns))
        warnings, owned = [], []
        found = read_annotations(path, layer_index, Cleaner(), warnings, owned)
    assert len(found) == len(anns) - 1  # only the bad one is left out
    assert sample_anns[0]["id"] not in {a.id for a in found}
    messages = warnings + [m for _, m in owned]
    assert len(messages) == 1 and "\n" not in messages[0] and "irina.jsonld" in messages[0]


@pytest.mark.parametrize("case", ["group-number", "start-string", "exact-empty", "source-unknown"])
def test_one_bad_annotation_through_the_command_line(capsys, corpus_copy, case):
    path = corpus_copy / VICTIM
    anns = json.loads(path.read_text())
    ONE_BAD[case](anns[0])
    path.write_text(json.dumps(anns))
    lines, export = export_ok(capsys, corpus_copy, user="irina")
    ids = ids_in(export)
    assert any(i.endswith("a0005") for i in ids) and not any(i.endswith("a0001") for i in ids)


# -- warnings never name other readers' annotations ------------------------------------------------

def _private_of(anns: list[dict], creator: str) -> dict:
    return next(a for a in anns if a.get("visibility", "private") == "private"
                and a["creator"]["nickname"] == creator)


@pytest.mark.parametrize("problem", ["unknown-source", "bad-start", "duplicate", "unfindable-quote"])
def test_warnings_about_a_private_annotation_reach_only_its_owner(capsys, corpus_copy, problem):
    path = corpus_copy / VICTIM
    anns = json.loads(path.read_text())
    private = _private_of(anns, "irina")
    secret_id = private["id"]
    if problem == "unknown-source":
        private["target"]["source"] = "https://archive.example.org/kd/kd1/no-such-entry/translation"
    elif problem == "bad-start":
        _sel(private, "TextPositionSelector")["start"] = "nine"
    elif problem == "duplicate":
        anns.append(json.loads(json.dumps(private)))
    else:
        _sel(private, "TextQuoteSelector")["exact"] = "words the diary never uses"
    path.write_text(json.dumps(anns))
    for reader in ("tomas", "leila", "dmitri"):
        lines, export = export_ok(capsys, corpus_copy, user=reader)
        assert not [line for line in lines if secret_id in line], (reader, lines)
        assert secret_id not in json.dumps(export)
    lines, _ = export_ok(capsys, corpus_copy, user="irina")
    assert [line for line in lines if secret_id in line]


def test_json_export_does_not_save_other_readers_warnings(capsys, corpus_copy):
    path = corpus_copy / VICTIM
    anns = json.loads(path.read_text())
    private = _private_of(anns, "irina")
    private["target"]["source"] = "https://archive.example.org/kd/kd1/no-such-entry/translation"
    path.write_text(json.dumps(anns))
    out = corpus_copy.parent / "all.json"
    code, _, err = run_main(capsys, "export", "--corpus", str(corpus_copy), "--entries", "kd1-1918-03-06",
                            "--user", "tomas", "--format", "json", "--accept-terms", "--output", str(out))
    assert code == 0, err
    assert private["id"] not in out.read_text() and private["id"] not in err


# -- archive.json: refused in one line (exit 3) ------------------------------------------------------

def _archive_set(path: list, value):
    def change(data: dict) -> None:
        node = data
        for p in path[:-1]:
            node = node[p]
        node[path[-1]] = value
    return change


ARCHIVE_BAD = {
    "members-string": _archive_set(["groups", "petrograd-seminar", "members"], "irina"),
    "members-number": _archive_set(["groups", "petrograd-seminar", "members"], 5),
    "members-of-numbers": _archive_set(["groups", "petrograd-seminar", "members"], [1, 2]),
    "members-with-empty": _archive_set(["groups", "petrograd-seminar", "members"], ["irina", ""]),
    "members-nested": _archive_set(["groups", "petrograd-seminar", "members"], [["irina"]]),
    "group-string": _archive_set(["groups", "petrograd-seminar"], "irina,tomas"),
    "groups-list": _archive_set(["groups"], ["petrograd-seminar"]),
    "users-list": _archive_set(["users"], ["irina"]),
    "user-string": _archive_set(["users", "irina"], "Irina"),
    "user-name-number": _archive_set(["users", "irina", "name"], 5),
    "folders-object": _archive_set(["folders"], {"a": 1}),
    "folder-without-name": lambda d: d["folders"][0].pop("name"),
    "folder-entries-string": _archive_set(["folders", 0, "entries"], "kd1-1918-03-06"),
    "folder-owner-number": _archive_set(["folders", 0, "owner"], 5),
    "folder-group-list": _archive_set(["folders", 1, "group"], ["petrograd-seminar"]),
    "quote-cap-negative": _archive_set(["annotation_quote_cap"], -1),
    "quote-cap-string": _archive_set(["annotation_quote_cap"], "300"),
    "quote-cap-fraction": _archive_set(["annotation_quote_cap"], 2.5),
}
ARCHIVE_TEXT = {
    "nested-100000": lambda t: '{"users": ' + _nested(100_000) + "}",
    "nested-1000": lambda t: '{"users": ' + _nested(1000) + "}",
    "infinity": lambda t: t.replace("{", '{"x": Infinity, ', 1),
    "5000-digits": lambda t: t.replace("{", '{"x": ' + "1" * 5000 + ", ", 1),
    "truncated": lambda t: t[:100],
    "empty": lambda t: "",
    "list": lambda t: "[]",
    "null": lambda t: "null",
    "not-utf8": lambda t: "\udcff",
}


@pytest.mark.parametrize("case", sorted(ARCHIVE_BAD) + sorted(f"text:{k}" for k in ARCHIVE_TEXT))
def test_bad_archive_file_refuses_the_corpus_in_one_line(capsys, corpus_copy, case):
    path = corpus_copy / "archive.json"
    if case.startswith("text:"):
        text = ARCHIVE_TEXT[case[5:]](path.read_text())
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
    else:
        data = json.loads(path.read_text())
        ARCHIVE_BAD[case](data)
        path.write_text(json.dumps(data))
    for argv in (("toc",), ("export", "--all", "--user", "i", "--format", "ris", "--output",
                             str(corpus_copy.parent / "x.ris"))):
        code, out, err = run_main(capsys, argv[0], "--corpus", str(corpus_copy), *argv[1:])
        lines = err.strip().splitlines()
        assert code == 3 and len(lines) == 1 and "archive.json" in lines[0] and "Traceback" not in err, err
    assert not (corpus_copy.parent / "x.ris").exists()


def test_members_as_a_string_never_makes_letters_members(capsys, corpus_copy):
    """The issue's case: ``"members": "irina"`` read letter by letter made a user named ``i`` a member."""
    path = corpus_copy / "archive.json"
    data = json.loads(path.read_text())
    data["users"]["i"] = {"name": "I"}
    data["groups"]["petrograd-seminar"]["members"] = "irina"
    path.write_text(json.dumps(data))
    code, _, err = run_main(capsys, "export", "--corpus", str(corpus_copy), "--all", "--user", "i",
                            "--format", "annotations-jsonld", "--output", str(corpus_copy.parent / "i.jsonld"))
    assert code == 3 and "members" in err and not (corpus_copy.parent / "i.jsonld").exists()


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_archive_file_that_is_not_a_regular_file(capsys, corpus_copy, kind):
    path = corpus_copy / "archive.json"
    path.unlink()
    os.mkfifo(path) if kind == "fifo" else path.mkdir()
    code, _, err = run_main(capsys, "toc", "--corpus", str(corpus_copy))
    assert code == 3 and "not a regular file" in err and len(err.strip().splitlines()) == 1


def test_archive_quote_cap_is_read(corpus_copy, engine):
    path = corpus_copy / "archive.json"
    data = json.loads(path.read_text())
    data["annotation_quote_cap"] = 20
    path.write_text(json.dumps(data))
    assert engine.load(corpus_copy).quote_cap == 20
    data["annotation_quote_cap"] = None
    path.write_text(json.dumps(data))
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert engine.load(corpus_copy).quote_cap is None


# -- Hypothesis: generated annotation files and archive files ----------------------------------------

SOURCES = ["https://archive.example.org/kd/kd1/kd1-1918-03-06/translation",
           "https://archive.example.org/kd/kd1/kd1-1918-03-03a/translation", "urn:x"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**12), st.floats(allow_nan=False,
                    allow_infinity=False), st.text(max_size=30))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                           st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)
names = st.one_of(st.sampled_from(["irina", "tomas", "petrograd-seminar", ""]), json_values)
selector = st.fixed_dictionaries({"type": st.sampled_from(["TextQuoteSelector", "TextPositionSelector", "X"])},
                                 optional={"exact": st.one_of(st.sampled_from(["the", "grain", "Halvorsen"]),
                                                              json_values),
                                           "prefix": st.one_of(st.text(max_size=10), json_values),
                                           "suffix": st.one_of(st.text(max_size=10), json_values),
                                           "start": st.one_of(st.integers(-5, 2000), json_values),
                                           "end": st.one_of(st.integers(-5, 2000), json_values)})
target = st.fixed_dictionaries({}, optional={"source": st.one_of(st.sampled_from(SOURCES), json_values),
                                             "selector": st.one_of(selector, st.lists(selector, max_size=3),
                                                                   json_values)})
annotation = st.fixed_dictionaries(
    {},
    optional={"id": st.one_of(st.text(min_size=1, max_size=20), json_values),
              "type": st.one_of(st.just("Annotation"), json_values),
              "target": st.one_of(target, st.lists(target, max_size=2), json_values),
              "body": st.one_of(st.lists(st.fixed_dictionaries(
                  {}, optional={"value": st.one_of(st.text(max_size=20), json_values),
                                "purpose": st.one_of(st.sampled_from(["tagging", "commenting"]), json_values)}),
                  max_size=3), json_values),
              "creator": st.one_of(st.fixed_dictionaries({}, optional={"nickname": names, "name": json_values}),
                                   names),
              "visibility": st.one_of(st.sampled_from(["private", "group", "public"]), json_values),
              "group": names,
              "motivation": json_values})
annotation_file = st.one_of(
    st.lists(st.one_of(annotation, json_values), max_size=5),
    st.builds(lambda items: {"type": "AnnotationPage", "items": items}, st.lists(annotation, max_size=4)),
    st.builds(lambda items: {"type": "AnnotationCollection", "first": {"type": "AnnotationPage", "items": items}},
              st.one_of(st.lists(annotation, max_size=4), json_values)),
    annotation, json_values)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=annotation_file, raw_prefix=st.sampled_from(["", "\ufeff", " "]))
def test_generated_annotation_files_never_crash(layer_index, data, raw_prefix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gen.jsonld"
        path.write_text(raw_prefix + json.dumps(data), encoding="utf-8")
        warnings, owned = [], []
        found = read_annotations(path, layer_index, Cleaner(), warnings, owned)
    for message in warnings + [m for _, m in owned]:
        assert "\n" not in message and "gen.jsonld" in message
    for ann in found:
        assert isinstance(ann.id, str) and ann.id and isinstance(ann.exact, str) and ann.exact
        assert ann.visibility in ("private", "group", "public")
        assert ann.group is None or isinstance(ann.group, str)
        assert (ann.visibility != "group") or ann.group


archive = st.fixed_dictionaries({}, optional={
    "users": st.one_of(st.dictionaries(st.sampled_from(["irina", "tomas", "i", ""]),
                                       st.one_of(st.fixed_dictionaries({}, optional={"name": names}), json_values),
                                       max_size=3), json_values),
    "groups": st.one_of(st.dictionaries(st.sampled_from(["g", "petrograd-seminar"]), st.one_of(
        st.fixed_dictionaries({}, optional={"members": st.one_of(st.lists(names, max_size=3), names),
                                            "name": names}), json_values), max_size=2), json_values),
    "folders": st.one_of(st.lists(st.one_of(st.fixed_dictionaries({"name": names}, optional={
        "entries": st.one_of(st.lists(names, max_size=3), json_values), "owner": names, "group": names}),
        json_values), max_size=2), json_values),
    "annotation_quote_cap": st.one_of(st.integers(-5, 2000), st.none(), json_values),
})


@settings(max_examples=150, deadline=None)
@given(data=st.one_of(archive, json_values))
def test_generated_archive_files_load_or_refuse_in_one_line(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "archive.json"
        path.write_text(json.dumps(data))
        corpus = Corpus(volumes=[], entries=[])
        try:
            _load_archive(path, corpus, Cleaner())
        except CorpusError as exc:
            assert "\n" not in str(exc) and "archive.json" in str(exc)
            return
    for group in corpus.groups.values():
        assert isinstance(group.members, list) and all(isinstance(m, str) and m for m in group.members)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in corpus.users.items())
    assert corpus.quote_cap is None or (isinstance(corpus.quote_cap, int) and corpus.quote_cap >= 1)


def _agree(data, name: str) -> None:
    schema = load_schema(name)
    expected = jsonschema.Draft202012Validator(schema).is_valid(data)
    try:
        validate(data, name)
        ours = True
    except ValueError:
        ours = False
    assert ours == expected, (name, data)


@settings(max_examples=200, deadline=None)
@given(data=st.one_of(annotation, json_values))
def test_schema_checker_agrees_with_jsonschema_on_annotations(data):
    _agree(data, "annotation")


@settings(max_examples=150, deadline=None)
@given(data=annotation_file)
def test_schema_checker_agrees_with_jsonschema_on_annotation_files(data):
    _agree(data, "annotation-file")


@settings(max_examples=150, deadline=None)
@given(data=st.one_of(archive, json_values))
def test_schema_checker_agrees_with_jsonschema_on_archive_files(data):
    _agree(data, "archive")


def test_shipped_schemas_are_valid_json_schemas():
    for name in ("annotation", "annotation-file", "archive"):
        jsonschema.Draft202012Validator.check_schema(load_schema(name))


def test_sample_files_pass_the_schemas(sample_path):
    for path in sorted((sample_path / "annotations").glob("*.jsonld")):
        data = json.loads(path.read_text())
        jsonschema.validate(data, load_schema("annotation-file"))
        for item in data:
            jsonschema.validate(item, load_schema("annotation"))
    jsonschema.validate(json.loads((sample_path / "archive.json").read_text()), load_schema("archive"))
