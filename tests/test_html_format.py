"""The html format: standalone, autoescaped, styled from styles/."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser

from conftest import STYLES


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text, self.attrs = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data):
        self.text.append(data)


def test_html_export(cli, tmp_path):
    out = tmp_path / "s.html"
    r = cli("export", "--range", "kd1-1918-03-03a..kd1-1918-03-06", "--layer", "translation", "--user", "tomas",
            "--format", "html", "-o", str(out), "--accept-terms")
    assert r.returncode == 0, r.stderr
    html = out.read_text()
    css = (STYLES / "html.css").read_text()
    assert css.strip()[:40] in html  # the stylesheet is inlined from styles/
    p = Collect()
    p.feed(html)
    text = "".join(p.text)
    # The annotation body with markup is printed literally, not interpreted.
    assert "<b>bold?</b>" in text and "b" not in p.tags
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html
    # Nothing is loaded from elsewhere.
    assert not [v for k, v in p.attrs if k in ("src",) or (k == "href" and v and not v.startswith("#"))]
    assert "3 March 1918 (1)" in text and "[p.\u00a021]" in text


def test_hostile_annotation_body_is_data(tmp_path, sample_path, engine):
    from exporter.engine import ExportRequest

    corpus = tmp_path / "c"
    shutil.copytree(sample_path, corpus)
    path = corpus / "annotations" / "irina.jsonld"
    anns = json.loads(path.read_text())
    anns[0]["body"][0]["value"] = '</p><h1>x</h1><img src="file:///etc/hostname"><script>alert(1)</script>'
    path.write_text(json.dumps(anns))
    out = tmp_path / "h.html"
    engine.export(ExportRequest(format="html", corpus=corpus, entries="kd1-1918-03-03a", user="irina",
                                accept_terms=True), out)
    html = out.read_text()
    assert "<script>" not in html and "<img" not in html and "<h1>x</h1>" not in html
    assert "&lt;/p&gt;&lt;h1&gt;x&lt;/h1&gt;" in html
    assert re.search(r"Content-Security-Policy", html)
