#!/usr/bin/env python3
"""Build src/exporter/sample/dolgorukov-diaries-1918.xml from the compact sources in
scripts/sample/source/*.txt.

The sample volume is fictional (written for the exporter project, CC0).
Page numbers (per layer) and editorial note numbers (through the volume)
are assigned here, in document order, so that they are always consecutive.

Compact source format
---------------------
    === kd1-1918-03-01a
    date: 1918-03-01            (or 1918-04, or "none"; add "cert: low")
    head: 1 March 1918 (1)      (may contain {{note}})
    datetext: 1 March 1918
    sub: diary                  (diary|letter|telegram|memorandum|report)
    lang: ru
    author: Konstantin Dolgorukov
    recip: Maria Dolgorukova    (repeatable)
    recip-org: Ministry of ...  (repeatable)
    place: Petrograd
    repo: State Archive of the Russian Federation (GARF)
    arch: f. 601, op. 1, d. 2144, l. 12-13
    desc: One-sentence summary.
    --- en | --- ru
    paragraphs separated by blank lines.

Inline: [pb] page break, [pb*] page break with facsimile, {{...}} editorial
note, *...* italic.  Paragraph prefixes: "# " layer head, "> " quote block,
"SALUTE: " / "SIGNED: " closer parts, "DATELINE: " opener dateline.
A paragraph consisting only of [pb]/[pb*] is a page break between blocks.
"""
import glob
import os
import re
import sys
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "src", "exporter", "sample", "dolgorukov-diaries-1918.xml")

KINDS = {"diary": "Diary entry", "letter": "Letter", "telegram": "Telegram",
         "memorandum": "Memorandum", "report": "Report"}

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="kd1" xml:lang="en">
 <teiHeader>
  <fileDesc>
   <titleStmt>
    <title type="complete">The Diaries and Correspondence of Konstantin A. Dolgorukov, Volume 1: January–June 1918</title>
    <editor><persName><forename>Anna</forename> <surname>Lindqvist</surname></persName></editor>
    <editor><persName><forename>Pavel</forename> <surname>Remizov</surname></persName></editor>
   </titleStmt>
   <publicationStmt>
    <publisher>Exporter Project Sample Archive</publisher>
    <pubPlace>Uppsala</pubPlace>
    <date when="2025">2025</date>
    <idno type="volume">kd1</idno>
    <idno type="URI">https://archive.example.org/kd/kd1</idno>
    <availability>
     <licence target="https://creativecommons.org/publicdomain/zero/1.0/">
      <p>This sample edition is dedicated to the public domain (CC0 1.0). As a courtesy, the archive asks that printed and downloaded extracts be used for personal study and research, that no single print or download comprise more than ten source pages, and that users cite the edition as: The Diaries and Correspondence of Konstantin A. Dolgorukov, Volume 1: January–June 1918, ed. Anna Lindqvist and Pavel Remizov (Exporter Project Sample Archive, 2025), with the entry identifier and page.</p>
     </licence>
    </availability>
   </publicationStmt>
   <seriesStmt>
    <title>Russian Diplomatic Papers, 1917–1921</title>
    <biblScope unit="volume">1</biblScope>
   </seriesStmt>
   <notesStmt>
    <note>This volume is fictional. Konstantin A. Dolgorukov, his family, correspondents and colleagues, the documents and their archival references were invented for the exporter project as a sample corpus; only the general historical background (the Brest-Litovsk negotiations, the removal of the government to Moscow, the Allied missions at Vologda, the food crisis of 1918) is real. No real document is quoted. The text, the annotations and the archive data are released under CC0 1.0 (https://creativecommons.org/publicdomain/zero/1.0/).</note>
   </notesStmt>
   <sourceDesc>
    <p>Fictional source: the diary notebooks and letter-book of K. A. Dolgorukov, imagined as held in the State Archive of the Russian Federation (GARF), with a few items in private hands. The transcription layer gives the Russian original with modernised orthography; the translation layer gives an English rendering. Pages of the translation layer are those of the printed edition; pages of the transcription layer are the leaves of the manuscript. Dates are given in the New Style; before 14 February 1918 the diarist dated by the Julian calendar, and his original dates are recorded in the notes.</p>
   </sourceDesc>
  </fileDesc>
  <profileDesc>
   <langUsage>
    <language ident="en">English</language>
    <language ident="ru">Russian</language>
   </langUsage>
  </profileDesc>
 </teiHeader>
 <text>
  <body>
"""

FOOTER = """  </body>
 </text>
</TEI>
"""


class State:
    def __init__(self):
        self.page = {"en": 0, "ru": 0}
        self.note = 0


def pers(name):
    fore, _, sur = name.strip().rpartition(" ")
    if not fore:
        return f"<persName>{escape(sur)}</persName>"
    return f"<persName><forename>{escape(fore)}</forename> <surname>{escape(sur)}</surname></persName>"


def inline(text, st, layer, eid):
    """Escape and convert inline markup. layer: 'en' | 'ru' | None (head)."""
    out = []
    pos = 0
    pat = re.compile(r"\{\{(.+?)\}\}|\[pb(\*?)\]|\*(.+?)\*", re.S)
    for m in pat.finditer(text):
        out.append(escape(text[pos:m.start()]))
        if m.group(1) is not None:
            st.note += 1
            n = st.note
            body = re.sub(r"\*(.+?)\*", lambda mm: f'<hi rend="italic">{mm.group(1)}</hi>',
                          escape(m.group(1)))
            out.append(f'<note n="{n}" xml:id="kd1-n{n}">{body}</note>')
        elif m.group(3) is not None:
            out.append(f'<hi rend="italic">{escape(m.group(3))}</hi>')
        else:
            out.append(pb(st, layer, bool(m.group(2))))
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def pb(st, layer, facs):
    st.page[layer] += 1
    n = st.page[layer]
    if facs:
        img = f"images/p{n:03d}.jpg" if layer == "en" else f"images/ru-{n:03d}.jpg"
        return f'<pb n="{n}" facs="{img}"/>'
    return f'<pb n="{n}"/>'


def layer_xml(name, lang, text, st):
    paras = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    lines = [f'   <div type="{name}" xml:lang="{lang}">']
    closer = []
    for p in paras:
        p = " ".join(p.split())
        if re.fullmatch(r"\[pb\*?\]", p):
            lines.append("    " + pb(st, lang, p == "[pb*]"))
        elif p.startswith("# "):
            lines.append(f"    <head>{inline(p[2:], st, lang, None)}</head>")
        elif p.startswith("> "):
            lines.append(f"    <quote>{inline(p[2:], st, lang, None)}</quote>")
        elif p.startswith("DATELINE: "):
            lines.append(f"    <opener><dateline>{inline(p[10:], st, lang, None)}</dateline></opener>")
        elif p.startswith("SALUTE: "):
            closer.append(f"<salute>{inline(p[8:], st, lang, None)}</salute>")
        elif p.startswith("SIGNED: "):
            closer.append(f"<signed>{inline(p[8:], st, lang, None)}</signed>")
        else:
            assert not closer, f"text after closer: {p[:40]!r}"
            lines.append(f"    <p>{inline(p, st, lang, None)}</p>")
    if closer:
        lines.append("    <closer>{}</closer>".format("".join(closer)))
    lines.append("   </div>")
    return "\n".join(lines)


def parse_sources():
    entries = []
    for fn in sorted(glob.glob(os.path.join(HERE, "source", "*.txt"))):
        raw = open(fn, encoding="utf-8").read()
        for chunk in re.split(r"^=== ", raw, flags=re.M)[1:]:
            first, _, rest = chunk.partition("\n")
            e = {"id": first.strip(), "recip": [], "recip-org": [], "layers": []}
            head_part, *layer_parts = re.split(r"^--- (en|ru)\s*$", rest, flags=re.M)
            for line in head_part.splitlines():
                if not line.strip() or line.startswith("#"):
                    continue
                k, _, v = line.partition(":")
                k, v = k.strip(), v.strip()
                if k in ("recip", "recip-org"):
                    e[k].append(v)
                else:
                    e[k] = v
            for i in range(0, len(layer_parts), 2):
                e["layers"].append((layer_parts[i], layer_parts[i + 1]))
            entries.append(e)
    return entries


def entry_xml(e, st):
    sub = e["sub"]
    out = ['  <div type="entry" xml:id="{}" subtype="{}" xml:lang="{}">'.format(e["id"], sub, e["lang"])]
    out.append("   <head>{}</head>".format(inline(e["head"], st, None, e["id"])))
    out.append("   <docAuthor>{}</docAuthor>".format(pers(e.get("author", "Konstantin Dolgorukov"))))
    date = e.get("date", "none")
    if date != "none":
        cert = ' cert="{}"'.format(e["cert"]) if e.get("cert") else ""
        out.append('   <docDate when="{}"{}>{}</docDate>'.format(date, cert, escape(e["datetext"])))
    meta = ['   <note type="meta">']
    for r in e["recip"]:
        meta.append('    ' + pers(r).replace("<persName>", '<persName role="recipient">', 1))
    for r in e["recip-org"]:
        meta.append(f'    <orgName role="recipient">{escape(r)}</orgName>')
    meta.append("    <placeName>{}</placeName>".format(escape(e["place"])))
    meta.append('    <orgName type="repository">{}</orgName>'.format(escape(
        e.get("repo", "State Archive of the Russian Federation (GARF)"))))
    meta.append('    <idno type="archival">{}</idno>'.format(escape(e["arch"])))
    meta.append(f'    <term type="kind">{KINDS[sub]}</term>')
    meta.append("    <desc>{}</desc>".format(escape(e["desc"])))
    meta.append("   </note>")
    out.extend(meta)
    for lang, text in e["layers"]:
        name = "translation" if lang == "en" else "transcription"
        out.append(layer_xml(name, lang, text, st))
    out.append("  </div>")
    return "\n".join(out)


def main():
    st = State()
    entries = parse_sources()
    body = "\n".join(entry_xml(e, st) for e in entries)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(HEADER + body + "\n" + FOOTER)
    print(f"{len(entries)} entries, pages en={st.page['en']} ru={st.page['ru']}, notes={st.note} -> {OUT}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
