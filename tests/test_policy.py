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
