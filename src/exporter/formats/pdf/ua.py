"""The user-agent stylesheet the ``pdf`` format lays out with.

weasyprint's own HTML5 stylesheet covers every HTML element -- tables, lists, forms, ``dir``
attributes -- and matching its generic selectors (``[hidden]``, ``[dir=rtl i] …``, ``:is(…)``)
against every element is about half of the style computation of a render.  The page we hand to
weasyprint (``templates/pdf.html.j2``, :func:`exporter.view.inline_html`, the citation sanitizer)
only has block containers, headings, paragraphs and a few inline elements, so this is the part
of that stylesheet (weasyprint 70, ``css/html5_ua.css``) which can apply to them, unchanged --
except for two things:

* its ``@note-area`` margin box, which would be generated on every page for ``float: note``, a
  feature this format does not use, is left out;
* its ``::footnote-call`` and ``::footnote-marker`` rules are given to ``.footnote`` only, the one
  element the print stylesheet floats to the footnote area (only a footnote has those
  pseudo-elements).  Written for every element, they make weasyprint compute two pseudo-element
  styles for each element of the page, which nothing uses: 458 of the 706 element styles of the
  benchmark print.

Of its counter styles, ``decimal`` (page, footnote and list numbers) and ``disc`` are kept; a
counter naming another falls back to decimal.  Ids (anchors), ``lang`` and links are not styles:
weasyprint reads them from the attributes.
"""

from __future__ import annotations

UA_CSS = r"""
[hidden], area, base, basefont, command, datalist, head, link, meta, noembed, noframes, param, rp, script, source, style, template, title, track { display: none }
address, article, aside, blockquote, body, center, div, figure, figcaption, footer, h1, h2, h3, h4, h5, h6, header, hgroup, hr, html, main, nav, p, pre, section { display: block }

blockquote, figure, p, pre { margin-top: 1em; margin-bottom: 1em }
body { margin: 8px }
h1 { margin-top: .67em; margin-bottom: .67em }
h2 { margin-top: .83em; margin-bottom: .83em }
h3 { margin-top: 1em; margin-bottom: 1em }
h4 { margin-top: 1.33em; margin-bottom: 1.33em }
h5 { margin-top: 1.67em; margin-bottom: 1.67em }
h6 { margin-top: 2.33em; margin-bottom: 2.33em }
blockquote, figure { margin-left: 40px; margin-right: 40px }

sub { vertical-align: sub }
sup { vertical-align: super }

html { color-scheme: light }
address, cite, dfn, em, i, var { font-style: italic }
b, strong { font-weight: bold }
code, kbd, pre, samp, tt { font-family: monospace }
h1 { font-size: 2em; font-weight: bold }
h2 { font-size: 1.5em; font-weight: bold }
h3 { font-size: 1.17em; font-weight: bold }
h4 { font-size: 1em; font-weight: bold }
h5 { font-size: .83em; font-weight: bold }
h6 { font-size: .67em; font-weight: bold }
big { font-size: larger }
small, sub, sup { font-size: smaller }
sub, sup { line-height: normal }

:link { color: blue }
mark { background: yellow; color: black }

:link, :visited, ins, u { text-decoration: underline }
abbr[title], acronym[title] { text-decoration: dotted underline }
del, s, strike { text-decoration: line-through }
q::before { content: open-quote }
q::after { content: close-quote }
br::before { content: "\A"; white-space: pre-line }
wbr::before { content: "\200B" }
nobr { white-space: nowrap }
hr { border-style: inset; border-width: 1px; color: gray; margin: .5em auto }
pre { white-space: pre }
center { text-align: center }

@counter-style disc { system: cyclic; symbols: •; suffix: " " }
@counter-style decimal { system: numeric; symbols: "0" "1" "2" "3" "4" "5" "6" "7" "8" "9" }

.footnote::footnote-call { content: counter(footnote); vertical-align: super; font-size: smaller; line-height: inherit }
.footnote::footnote-marker { content: counter(footnote) ". " }

h1 { bookmark-level: 1 }
h2 { bookmark-level: 2 }
h3 { bookmark-level: 3 }
h4 { bookmark-level: 4 }
h5 { bookmark-level: 5 }
h6 { bookmark-level: 6 }
h1, h2, h3, h4, h5, h6 { bookmark-label: content(text) }
h1, h2, h3, h4, h5, h6 { hyphens: manual; break-after: avoid; break-inside: avoid }

@page {
  margin: 75px;
  @footnote            { margin-top: 1em }
  @top-left-corner     { text-align: right;  vertical-align: middle }
  @top-left            { text-align: left;   vertical-align: middle }
  @top-center          { text-align: center; vertical-align: middle }
  @top-right           { text-align: right;  vertical-align: middle }
  @top-right-corner    { text-align: left;   vertical-align: middle }
  @left-top            { text-align: center; vertical-align: top    }
  @left-middle         { text-align: center; vertical-align: middle }
  @left-bottom         { text-align: center; vertical-align: bottom }
  @right-top           { text-align: center; vertical-align: top    }
  @right-middle        { text-align: center; vertical-align: middle }
  @right-bottom        { text-align: center; vertical-align: bottom }
  @bottom-left-corner  { text-align: right;  vertical-align: middle }
  @bottom-left         { text-align: left;   vertical-align: middle }
  @bottom-center       { text-align: center; vertical-align: middle }
  @bottom-right        { text-align: right;  vertical-align: middle }
  @bottom-right-corner { text-align: left;   vertical-align: middle }
}
"""
