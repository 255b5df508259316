"""Rich text in field values, field quotations, display divs and the smaller citeproc-js rules
(page ranges, merged punctuation), checked on small styles; the CSL test suite
(tests/test_cite_suite.py) checks them against citeproc-js's expected output."""

from __future__ import annotations

import pytest

from exporter.citations import driver, fidelity_pages, processor, richtext

STYLE = """<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">
  <info><id/><title/><updated>2009-08-10T04:49:00+09:00</updated></info>
  <citation><layout><text variable="title" font-style="italic" {extra}/></layout></citation>
  <bibliography second-field-align="flush"><layout>
    <text variable="citation-number" suffix="."/><text variable="title" prefix=" "/>
  </layout></bibliography>
</style>"""


@pytest.fixture
def style(tmp_path):
    def make(extra: str = "") -> object:
        path = tmp_path / f"s{abs(hash(extra))}.csl"
        path.write_text(STYLE.format(extra=extra), encoding="utf-8")
        return path
    return make


def _cite(style_path, title: str, rich: bool, locale: str | None = None):
    rec = {"id": "a", "type": "book", "title": title}
    (out,) = processor.format_citations([rec], [("a", None)], style_path, note=False, locale=locale,
                                        rich_text=rich)
    assert out.ok, out.error
    return out


def test_rich_text_is_formatting_only_when_asked(style):
    path = style()
    rich = _cite(path, "One <i>Two</i> Three", rich=True)
    assert rich.html == '<i>One <span style="font-style:normal;">Two</span> Three</i>'
    assert rich.text == "One Two Three"
    plain = _cite(path, "One <i>Two</i> Three", rich=False)
    assert plain.html == "<i>One &#60;i&#62;Two&#60;/i&#62; Three</i>"
    # an unbalanced tag is text even with rich text on
    assert _cite(path, "One</i> Two", rich=True).html == "<i>One&#60;/i&#62; Two</i>"


def test_nocase_and_nodecor(style):
    path = style('text-case="title"')
    out = _cite(path, 'a <span class="nocase">smith</span> pencil and <span class="nodecor">v.</span> the end',
                rich=True)
    assert out.html == '<i>A smith Pencil and <span style="font-style:normal;">v.</span> the End</i>'
    # without rich text the spans are text, in the title case like any other words
    assert "&#60;span" in _cite(path, 'a <span class="nocase">smith</span>', rich=False).html


def test_field_quotes_nest_and_follow_the_locale(style):
    path = style('quotes="true"')
    assert _cite(path, 'My "Amazing" Title', rich=False).text == "“My ‘Amazing’ Title”"
    assert _cite(path, "My 'Amazing' Title", rich=False, locale="ru-RU").text == "«My „Amazing“ Title»"
    # an unpaired quote stays as it is
    assert _cite(path, 'Nation of "Positive Obligations " of State', rich=False).text == \
        '“Nation of "Positive Obligations " of State”'


def test_second_field_align_divs(style):
    (out,) = processor.format_bibliography([{"id": "a", "type": "book", "title": "T"}], style())
    assert out.text == "1. T"
    assert out.html == ('\n    <div class="csl-left-margin">1.</div>'
                        '<div class="csl-right-inline"> T</div>\n  ')


def test_field_quotes_parser():
    q = richtext.field_quotes
    assert q("'Nobody Knows You're a Dog': As") == "\ue013Nobody Knows You’re a Dog\ue014: As"
    assert q("l'''") == "l’’’"
    assert richtext.resolve_quotes("\ue013a \ue013b\ue014\ue014", ("«", "»"), ("„", "“")) == "«a „b“»"


@pytest.mark.parametrize("first,last,fmt,want", [
    ("101", "108", "minimal", "101–8"),
    ("1536", "38", "minimal", "1536–8"),
    ("1496", "504", "chicago", "1496–1504"),
    ("1496", "1500", "chicago-16", "1496–500"),
    ("1496", "1500", "chicago", "1496–1500"),
    ("71", "2", "chicago", "71–72"),
    ("110", "5", "expanded", "110–115"),
    ("321", "325", "minimal-two", "321–25"),
])
def test_page_ranges(first, last, fmt, want):
    assert fidelity_pages.format_range(f"{first}-{last}", fmt, "–") == want


def test_page_ranges_with_prefixes():
    assert fidelity_pages.format_range("N110 - N5", "expanded", "–") == "N110–N115"
    assert fidelity_pages.format_range("N110 - 5", "expanded", "–") == "N110-5"
    assert fidelity_pages.format_range("xxv-xxviii", "expanded", "–") is None


def test_punctuation_merging():
    assert driver.merge_punctuation("semicolon;: colon") == "semicolon; colon"
    assert driver.merge_punctuation("question?. period") == "question? period"
    assert driver.merge_punctuation("colon:! x") == "colon! x"
    assert driver.merge_punctuation("comma,: colon") == "comma,: colon"
    assert driver.merge_punctuation("period.? q") == "period.? q"
    assert driver.no_doubled_period("\ue002Doe Co.\ue003. 1965") == "\ue002Doe Co.\ue003 1965"


def test_quotations_typed_with_the_locales_inner_marks_stay_inner():
    """citeproc-js registers the locale's open-inner-quote as an inner quotation: typed at the
    top level it keeps inner marks; straight quotes take outer marks there, nested ones flip."""
    from exporter.citations.richtext import field_quotes, resolve_quotes

    us = (("\u201c", "\u201d"), ("\u2018", "\u2019"))
    gb = (("\u2018", "\u2019"), ("\u201c", "\u201d"))

    def marks(text, locale):
        return resolve_quotes(field_quotes(text), *locale)

    assert marks("meaning \u2018God willing\u2019.", us) == "meaning \u2018God willing\u2019."
    assert marks("meaning 'God willing'.", us) == "meaning \u201cGod willing\u201d."
    assert marks("\u201cA \u2018b\u2019\u201d", us) == "\u201cA \u2018b\u2019\u201d"
    assert marks("\u201cA\u201d", gb) == "\u201cA\u201d"  # en-GB's inner marks
    assert marks('"A"', gb) == "\u2018A\u2019"
    assert marks("'\"PIAAC-L\" 2015'", us) == "\u201c\u2018PIAAC-L\u2019 2015\u201d"
