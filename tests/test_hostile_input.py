"""Hostile XML and hostile text: a clear error naming the file, nothing read, nothing written."""

from __future__ import annotations

import json
import shutil

import pytest

from exporter.errors import CorpusError

SECRET = "TOP-SECRET-CONTENT-41"

XXE = """<?xml version="1.0"?>
<!DOCTYPE TEI [<!ENTITY xxe SYSTEM "file://{secret}">]>
<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body>
<div type="entry" xml:id="e1"><head>&xxe;</head><p>x</p></div></body></text></TEI>"""

LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><div type="entry" xml:id="e1"><p>&lol3;</p></div></body></text></TEI>"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE TEI SYSTEM "file://{secret}">
<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><div type="entry" xml:id="e1"><p>x</p></div></body></text></TEI>"""

XINCLUDE = """<?xml version="1.0"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0" xmlns:xi="http://www.w3.org/2001/XInclude"><teiHeader/><text><body>
<div type="entry" xml:id="e1"><head>t</head><p><xi:include href="file://{secret}" parse="text"/></p></div></body></text></TEI>"""


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


@pytest.mark.parametrize("template", [XXE, LAUGHS, EXTERNAL_DTD], ids=["xxe", "billion-laughs", "external-dtd"])
def test_doctype_attacks_refused(tmp_path, secret, template, engine, cli):
    vol = tmp_path / "hostile.xml"
    vol.write_text(template.format(secret=secret))
    with pytest.raises(CorpusError, match="hostile.xml"):
        engine.load(vol)
    out = tmp_path / "out.json"
    r = cli("export", "--corpus", str(vol), "--all", "--format", "json", "-o", str(out), "--accept-terms")
    assert r.returncode not in (0, 2)
    err = r.stderr.decode()
    assert "hostile.xml" in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and SECRET not in err


def test_xinclude_is_not_processed(tmp_path, secret, engine):
    vol = tmp_path / "xi.xml"
    vol.write_text(XINCLUDE.format(secret=secret))
    corpus = engine.load(vol)
    text = corpus.entries[0].layers["text"].text
    assert SECRET not in text


def test_malformed_xml_names_file(tmp_path, cli):
    vol = tmp_path / "broken.xml"
    vol.write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><div type="entry">')
    r = cli("toc", "--corpus", str(vol))
    assert r.returncode == 3 and "broken.xml" in r.stderr.decode() and "well-formed" in r.stderr.decode()


def test_control_characters_are_replaced_and_counted(tmp_path, sample_path, engine):
    """XML-illegal characters in annotations are replaced at load and reported as a warning."""
    corpus_dir = tmp_path / "c"
    shutil.copytree(sample_path, corpus_dir)
    path = corpus_dir / "annotations" / "irina.jsonld"
    anns = json.loads(path.read_text())
    anns[0]["body"][0]["value"] = "bad\x00char\x0bhere \ud800 and e\u0301"
    path.write_text(json.dumps(anns))
    corpus = engine.load(corpus_dir)
    ann = next(a for a in corpus.annotations if a.id == anns[0]["id"])
    assert ann.body == "bad\ufffdchar\ufffdhere \ufffd and e\u0301"
    assert any("replaced 3 character" in w for w in corpus.warnings)


def test_unknown_file_type(tmp_path, cli):
    f = tmp_path / "notes.txt"
    f.write_text("hello")
    r = cli("toc", "--corpus", str(f))
    assert r.returncode != 0 and "no source accepts" in r.stderr.decode()
    r = cli("toc", "--corpus", str(tmp_path / "missing"))
    assert r.returncode != 0 and "no such file" in r.stderr.decode()
