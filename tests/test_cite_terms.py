"""Locale terms as citeproc-js looks them up (``fidelity_terms.patch_term_lookup``): no English
from ``en-US`` under another language, and a missing short form falls back to the long one."""

from __future__ import annotations

from pathlib import Path

import pytest

STYLE = """<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">
  <info><title>Terms probe</title><id>terms-probe</id><updated>2024-01-01T00:00:00+00:00</updated></info>
  <locale xml:lang="en"><terms><term name="edition" form="short">ed. (style)</term></terms></locale>
  <citation><layout><text variable="title"/></layout></citation>
  <bibliography><layout><group delimiter="|">
    <text variable="title"/>
    <text term="original-work-published" form="short"/>
    <text term="edition" form="short"/>
    <text term="anonymous" form="verb-short"/>
  </group></layout></bibliography>
</style>
"""
RECORD = {"id": "a", "type": "book", "title": "T"}


@pytest.fixture(scope="module")
def style(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("terms") / "terms-probe.csl"
    path.write_text(STYLE, encoding="utf-8")
    return path


def _line(style: Path, locale: str) -> str:
    from exporter.citations import processor

    (entry,) = processor.format_bibliography([RECORD], style, locale)
    assert entry.ok, entry.error
    return entry.text


def test_english_keeps_the_short_forms_and_the_styles_own(style):
    # en-GB is merged over en-US (its primary dialect), the style's "en" locale over both
    assert _line(style, "en-US") == "T|orig. pub.|ed. (style)|anonymous"
    assert _line(style, "en-GB") == "T|orig. pub.|ed. (style)|anonymous"


def test_russian_never_reads_english_and_falls_back_to_the_long_form():
    import citeproc

    locales = Path(citeproc.__file__).parent / "data" / "locales"
    ru = (locales / "locales-ru-RU.xml").read_text(encoding="utf-8")
    # the premise: ru-RU has only the long form, en-US has the short "orig. pub."
    assert '<term name="original-work-published">original work published</term>' in ru
    assert 'name="original-work-published" form="short"' not in ru


def test_russian_output(style):
    # citeproc-js 2.4.63 under ru-RU: the long form of ru-RU's file, not en-US's short one; the
    # style's "en" locale does not apply; "verb-short" falls back through "verb" to the long
    # "аноним" (not to en-US's, nor to ru-RU's short "анон.")
    text = _line(style, "ru-RU")
    assert text == "T|original work published|изд.|аноним"


def test_oxford_orig_pub_under_ru_ru():
    """The case the goldens found: Oxford under ru-RU prints what citeproc-js prints."""
    from exporter.citations import processor
    from exporter.engine import Engine

    path = Engine().style("oxford-guide-to-style-notes").path
    record = {"id": "b", "type": "book", "title": "Report", "original-title": "Отчёт",
              "author": [{"family": "Summers", "given": "Maddin"}], "issued": {"date-parts": [[1918]]},
              "publisher-place": "Cambridge"}
    (ru,) = processor.format_bibliography([record], path, "ru-RU")
    (en,) = processor.format_bibliography([record], path, "en-GB")
    assert "original work published as Отчёт" in ru.text
    assert "orig. pub. as Отчёт" in en.text
