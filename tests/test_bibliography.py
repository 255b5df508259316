"""The ``bibliography`` format: a selection's bibliography in a CSL style, as ``exporter cite``
prints it, from ``exporter export`` and ``exporter batch`` (console script, local workers)."""

from __future__ import annotations

import hashlib
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import SAMPLE, run_cli


def cite(*args: str) -> bytes:
    proc = run_cli("cite", "--mode", "bibliography", *args)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def export(*args: str) -> tuple[int, bytes, str]:
    proc = run_cli("export", "--format", "bibliography", *args)
    return proc.returncode, proc.stdout, proc.stderr.decode()


@pytest.mark.parametrize("style,locale,as_", [
    ("chicago-notes-bibliography", None, "text"),
    ("apa", "ru-RU", "html"),
    ("gost-r-7-0-5-2008", None, "text"),  # a dependent style: its parent with its own locale
    ("archival-documents", "en-GB", "html"),  # the house style
])
def test_sample_export_equals_exporter_cite(tmp_path, style, locale, as_):
    args = ["--all", "--style", style, "--as", as_] + (["--locale", locale] if locale else [])
    out = tmp_path / "bib.txt"
    code, stdout, err = export(*args, "--output", str(out))
    assert code == 0, err
    assert "46 entries" in stdout.decode()
    written = out.read_bytes()
    assert written == cite(*args)
    lines = written.decode().splitlines()
    assert len(lines) == 46 and all(lines)


def test_bibliography_is_sorted_as_the_style_sorts(tmp_path):
    """Entries given in one order print in the style's."""
    ids = "kd1-1918-03-10,kd1-1918-01-08,kd1-1918-03-06"
    code, stdout, err = export("--entries", ids, "--style", "apa", "--output", "-")
    assert code == 0, err
    lines = stdout.decode().splitlines()
    assert len(lines) == 3 and stdout == cite("--entries", ids, "--style", "apa")
    # APA's order (author, then year with its suffixes), not the order the entries were given in
    order = [next(t for t in ("6 March 1918", "10 March 1918", "8 January 1918") if t in line) for line in lines]
    assert order == ["6 March 1918", "10 March 1918", "8 January 1918"], lines
    assert [line.split(" ")[2] for line in lines] == ["(1918a).", "(1918b).", "(1918c,"]


def test_the_default_style_is_the_house_style(tmp_path):
    code, stdout, err = export("--range", "kd1-1918-01-03..kd1-1918-01-19", "--output", "-")
    assert code == 0, err
    assert stdout == cite("--range", "kd1-1918-01-03..kd1-1918-01-19", "--style", "archival-documents")


def test_frus_export_equals_exporter_cite(tmp_path, frus_path):
    for style, locale in (("chicago-notes-bibliography", None), ("gost-r-7-0-5-2008", "ru-RU")):
        args = ["--corpus", str(frus_path), "--all", "--style", style] + (["--locale", locale] if locale else [])
        out = tmp_path / f"{style}.txt"
        code, _, err = export(*args, "--output", str(out))
        assert code == 0, err
        text = out.read_text(encoding="utf-8")
        assert out.read_bytes() == cite(*args)
        assert len(text.splitlines()) == 478  # every document of the volume, one line each
        assert "Foreign Relations of the United States" in text


@pytest.mark.parametrize("args,code,words", [
    (("--style", "no-such-style"), 6, "style 'no-such-style' is an unknown style"),
    (("--style", "../../etc/passwd.csl"), 6, "is a path"),
    (("--style", "agora"), 2, "style 'agora' has no bibliography"),  # a note style without one
    (("--style", "apa", "--as", "pdf"), 2, "--as 'pdf': unknown; known values: text, html"),
    (("--style", "apa", "--locale", "xx-YY"), 2, "unknown locale 'xx-YY'"),
])
def test_bad_style_or_option_is_one_line_and_writes_nothing(tmp_path, args, code, words):
    out = tmp_path / "bib.txt"
    rc, _, err = export("--all", *args, "--output", str(out))
    assert rc == code, err
    assert words in err and len(err.strip().splitlines()) == 1, err
    assert list(tmp_path.iterdir()) == []


HOSTILE = 'A <script>alert(1)</script> & <b>bold</b>'


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)

    def handle_data(self, data):
        self.text += data


def test_html_escapes_user_text(tmp_path):
    from html import escape

    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE.parent if SAMPLE.is_file() else SAMPLE, corpus)
    tei = next(corpus.glob("*.xml"))
    source = tei.read_text(encoding="utf-8")
    assert source.count("<head>8 January 1918</head>") == 1
    tei.write_text(source.replace("<head>8 January 1918</head>", f"<head>{escape(HOSTILE)}</head>"),
                   encoding="utf-8")
    for style in ("chicago-notes-bibliography", "apa", "archival-documents"):
        code, stdout, err = export("--corpus", str(corpus), "--entries", "kd1-1918-01-08", "--style", style,
                                   "--as", "html", "--output", "-")
        assert code == 0, err
        html = stdout.decode()
        assert "<script" not in html and "<b>bold" not in html, html
        parser = _Tags()
        parser.feed(html)
        assert parser.tags <= {"i", "b", "span", "sup", "sub"}, parser.tags
        assert HOSTILE in parser.text  # the title survives, as text
        code, stdout, err = export("--corpus", str(corpus), "--entries", "kd1-1918-01-08", "--style", style,
                                   "--output", "-")
        assert HOSTILE in stdout.decode()  # plain text is not escaped


# -- exporter batch: one bibliography per volume, on the local backend ------------------------

def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def test_batch_citations_with_a_style_write_each_volumes_bibliography(tmp_path):
    state = {"EXPORTER_STATE": str(tmp_path / "service-state")}
    out = tmp_path / "bib"
    args = ["batch", "citations", "--style", "apa", "--locale", "ru-RU", "--as", "html", "--output", str(out),
            "--workers", "1", "--operator", "ops-bib"]
    proc = run_cli(*args, env=state)
    assert proc.returncode == 0, proc.stderr.decode()
    m = manifest(out)
    assert m["batch"]["format"] == "bibliography" and m["batch"]["locale"] == "ru-RU"
    [(name, rec)] = m["pieces"].items()
    assert name == "kd1.citations" and rec["state"] == "done" and rec["file"] == "kd1.citations.txt"
    path = out / rec["file"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == rec["sha256"]
    assert path.read_bytes() == cite("--all", "--style", "apa", "--locale", "ru-RU", "--as", "html")

    # Resumable as the other plans: a second run skips the finished volume ...
    again = run_cli(*args, env=state)
    assert again.returncode == 0, again.stderr.decode()
    assert "0 pieces rendered" in again.stdout.decode() and "1 already finished" in again.stdout.decode()
    # ... and renders it again once its file is gone.
    path.unlink()
    third = run_cli(*args, env=state)
    assert third.returncode == 0 and "1 piece rendered" in third.stdout.decode()
    assert path.read_bytes() == cite("--all", "--style", "apa", "--locale", "ru-RU", "--as", "html")


def test_batch_on_frus_in_a_style(tmp_path, frus_path):
    out = tmp_path / "frus"
    proc = run_cli("batch", "citations", "--corpus", str(frus_path), "--style", "chicago-notes-bibliography",
                   "--output", str(out), "--workers", "1", env={"EXPORTER_STATE": str(tmp_path / "state")})
    assert proc.returncode == 0, proc.stderr.decode()
    [rec] = manifest(out)["pieces"].values()
    assert (out / rec["file"]).read_bytes() == cite("--corpus", str(frus_path), "--all",
                                                     "--style", "chicago-notes-bibliography")


@pytest.mark.parametrize("style,words", [("no-such-style", "unknown style"), ("agora", "has no bibliography")])
def test_batch_with_a_bad_style_queues_nothing(tmp_path, style, words):
    out = tmp_path / "bad"
    proc = run_cli("batch", "citations", "--style", style, "--output", str(out), "--workers", "1",
                   env={"EXPORTER_STATE": str(tmp_path / "state")})
    assert proc.returncode != 0
    err = proc.stderr.decode()
    assert f"piece kd1.citations: style '{style}'" in err and words in err
    assert [p.name for p in out.iterdir()] in ([], [".batch-state"])
    assert not (out / "kd1.citations.txt").exists()
