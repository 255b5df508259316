"""The ten-page print policy and the terms of use."""

from __future__ import annotations

import pytest

from exporter.engine import ExportRequest, policy, select
from exporter.errors import PolicyRefusal


def count(sample, spec, layer="both"):
    from exporter.engine import narrow

    entries = []
    for e in select.by_ids(sample, spec):
        layers, _ = narrow.choose_layers(e.layers, layer)
        entries.append(type(e)(**{**{f: getattr(e, f) for f in e.__dataclass_fields__}, "layers": layers}))
    return len(policy.page_keys(entries))


def test_page_counting(sample):
    assert count(sample, "kd1-1918-03-03a") == 4  # translation 20-21, transcription 19-20
    assert count(sample, "kd1-1918-03-03a", "translation") == 2
    # kd1-1918-01-29 (p. 9) and kd1-1918-01-31 (pp. 9-10) share page 9 in both layers.
    assert count(sample, "kd1-1918-01-29,kd1-1918-01-31", "translation") == 2
    # Duplicates in the selection count once.
    assert count(sample, "kd1-1918-01-29,kd1-1918-01-29") == 2
    # An entry/layer without page markers still counts.
    assert count(sample, "kd1-1918-04-13", "translation") == 1


def test_unpaginated_layer_counts_as_one_page(tmp_path, engine):
    vol = tmp_path / "v.xml"
    vol.write_text("""<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body>
      <div type="entry" xml:id="a"><head>A</head><p>one</p></div>
      <div type="entry" xml:id="b"><head>B</head><p>two</p></div></body></text></TEI>""")
    corpus = engine.load(vol)
    assert len(policy.page_keys(corpus.entries)) == 2


def test_limit_refused_before_rendering(engine, tmp_path):
    out = tmp_path / "x.html"
    req = ExportRequest(format="html", range="kd1-1918-03-03a..kd1-1918-03-14", layer="translation",
                        accept_terms=True)
    with pytest.raises(PolicyRefusal) as info:
        engine.export(req, out)
    msg = str(info.value)
    assert "11 source pages" in msg and "limit is 10" in msg and "--pages" in msg
    assert not out.exists() and not list(tmp_path.iterdir())
    # Narrowed to ten pages it passes.
    req.pages = "20-29"
    result = engine.export(req, out)
    assert result.source_pages == 10 and out.exists()


def test_limit_is_configurable(engine, tmp_path):
    req = ExportRequest(format="json", entries="kd1-1918-03-03a", accept_terms=True, print_limit=3)
    with pytest.raises(PolicyRefusal, match="4 source pages but the print limit is 3"):
        engine.export(req, tmp_path / "x.json")


def test_terms_must_be_accepted(engine, tmp_path):
    out = tmp_path / "x.json"
    with pytest.raises(PolicyRefusal, match="--accept-terms.*ten source pages"):
        engine.export(ExportRequest(format="json", entries="kd1-1918-03-06"), out)
    assert not out.exists()


def test_non_material_formats_are_not_limited(engine, tmp_path):
    from exporter.registry import Format

    fmt = Format(name="count", media_type="text/plain", extension="txt", material=False,
                 render=lambda doc, out: out.write(str(len(doc.entries)).encode()) and None)
    engine.plugins.formats.add(fmt, "test")
    try:
        out = tmp_path / "n.txt"
        engine.export(ExportRequest(format="count", all=True), out)
        assert out.read_text() == "46"
    finally:
        engine.plugins.formats.remove("count")


def test_cli_refusals(cli, tmp_path):
    out = tmp_path / "o.html"
    r = cli("export", "--range", "kd1-1918-01-03..kd1-1918-03-06", "--format", "html", "-o", str(out),
            "--accept-terms")
    assert r.returncode == 5 and "print limit is 10" in r.stderr.decode()
    assert len(r.stderr.decode().strip().splitlines()) == 1 and not out.exists()
    r = cli("export", "--entries", "kd1-1918-03-06", "--format", "html", "-o", str(out))
    assert r.returncode == 5 and "accept the terms" in r.stderr.decode() and not out.exists()


# -- the limit is the archive's setting ------------------------------------------------------

def _sample_copy(tmp_path, archive_limit=None, header_limit=None):
    """A copy of the bundled sample with the print limit set in archive.json and/or the header."""
    import json
    import shutil

    from conftest import SAMPLE

    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE, folder)
    archive = json.loads((folder / "archive.json").read_text(encoding="utf-8"))
    archive.pop("print_limit", None)
    if archive_limit is not None:
        archive["print_limit"] = archive_limit
    (folder / "archive.json").write_text(json.dumps(archive), encoding="utf-8")
    if header_limit is not None:
        volume = folder / "dolgorukov-diaries-1918.xml"
        text = volume.read_text(encoding="utf-8")
        assert text.count("</availability>") == 1
        volume.write_text(text.replace("</availability>", f"{header_limit}</availability>"), encoding="utf-8")
    return folder


FOUR_PAGES = "kd1-1918-03-03a"  # translation 20-21, transcription 19-20


def test_limit_from_archive_json(cli, tmp_path):
    folder = _sample_copy(tmp_path, archive_limit=3)
    out = tmp_path / "x.json"
    r = cli("export", "--corpus", str(folder), "--entries", FOUR_PAGES, "--format", "json", "-o", str(out),
            "--accept-terms")
    assert r.returncode == 5 and "4 source pages but the print limit is 3" in r.stderr.decode()
    assert not out.exists()
    r = cli("export", "--corpus", str(folder), "--entries", FOUR_PAGES, "--layer", "translation",
            "--format", "json", "-o", str(out), "--accept-terms")
    assert r.returncode == 0 and out.exists(), r.stderr.decode()


def test_limit_from_the_volume_header_wins_over_archive_json(engine, tmp_path):
    folder = _sample_copy(tmp_path, archive_limit=50, header_limit='<ab type="print-limit">2</ab>')
    corpus = engine.load(folder)
    assert corpus.print_limit == 50 and corpus.volumes[0].print_limit == 2
    assert "2" not in corpus.volumes[0].terms.split()  # the number is not part of the terms text
    req = ExportRequest(format="json", corpus=folder, entries=FOUR_PAGES, layer="translation", accept_terms=True)
    engine.export(req, tmp_path / "two.json")  # 2 pages: allowed
    req.layer = "both"
    with pytest.raises(PolicyRefusal, match="4 source pages but the print limit is 2"):
        engine.export(req, tmp_path / "four.json")
    folder2 = _sample_copy(tmp_path / "b", header_limit='<ab type="print-limit" n="30"/>')
    big = ExportRequest(format="json", corpus=folder2, range="kd1-1918-01-03..kd1-1918-03-06",
                        layer="translation", accept_terms=True)
    assert engine.export(big, tmp_path / "big.json").source_pages > 10


def test_default_limit_without_settings(engine, tmp_path):
    folder = _sample_copy(tmp_path)
    corpus = engine.load(folder)
    assert corpus.print_limit is None and corpus.volumes[0].print_limit is None
    assert engine.print_limit_for(corpus, corpus.entries) == policy.DEFAULT_PRINT_LIMIT == 10


@pytest.mark.parametrize("value", ['"ten"', "-1", "2.5", "true", "[]"])
def test_bad_limit_in_archive_json_is_a_corpus_error(cli, tmp_path, value):
    folder = _sample_copy(tmp_path)
    text = (folder / "archive.json").read_text(encoding="utf-8")
    (folder / "archive.json").write_text(text.replace("{", '{"print_limit": ' + value + ", ", 1))
    r = cli("toc", "--corpus", str(folder))
    err = r.stderr.decode()
    assert r.returncode == 3 and "print limit" in err and len(err.strip().splitlines()) == 1, err


def test_bad_limit_in_the_header_is_a_corpus_error(cli, tmp_path):
    folder = _sample_copy(tmp_path, header_limit='<ab type="print-limit">all</ab>')
    r = cli("toc", "--corpus", str(folder))
    err = r.stderr.decode()
    assert r.returncode == 3 and "print limit 'all'" in err and len(err.strip().splitlines()) == 1, err


def test_operator_override_through_the_engine(tmp_path):
    from exporter.engine import Engine

    strict = Engine(print_limit=1)
    with pytest.raises(PolicyRefusal, match="print limit is 1"):
        strict.export(ExportRequest(format="json", entries=FOUR_PAGES, layer="translation", accept_terms=True),
                      tmp_path / "x.json")
    loose = Engine(print_limit=100)
    result = loose.export(ExportRequest(format="json", range="kd1-1918-01-03..kd1-1918-03-06",
                                        layer="translation", accept_terms=True), tmp_path / "y.json")
    assert result.source_pages > 10


def test_cli_refuses_a_print_limit_option(cli, tmp_path):
    """No reader's option changes the limit: the former hidden flag is an unknown argument."""
    out = tmp_path / "all.json"
    for args in (("--print-limit", "1000"), ("--print-limit=1000",), ("--print", "1000")):
        r = cli("export", "--all", "--format", "json", "-o", str(out), "--accept-terms", *args)
        err = r.stderr.decode()
        assert r.returncode == 2 and "unrecognized arguments" in err, err
        assert not out.exists()
    help_text = cli("export", "--help").stdout.decode()
    assert "limit" not in help_text.replace("print-limited", "")
