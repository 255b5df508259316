"""Write the inputs of make_locale_goldens.js and the records the locale goldens cover.

Records: the sample corpus and the 200 mixed English and Russian archival records
(mixed_records.py; the FRUS volume is covered in en-US by the main goldens), each saved as
tests/golden/citations/locales/records--CORPUS.json (the test formats exactly those); the
multi-cite clusters of each corpus; the style files (a dependent style's parent, and its own
locale is not used: every golden names its locale); the pinned locale files (citeproc-py's).

    .venv/bin/python scripts/citeproc-js/dump_locale_inputs.py /tmp/locale-inputs.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "golden" / "citations" / "locales"
sys.path.insert(0, str(Path(__file__).parent))

#: The styles of the locale goldens (CSL ids or registered names).
STYLES = [
    "chicago-notes-bibliography", "chicago-shortened-notes-bibliography",
    "chicago-notes-bibliography-17th-edition", "chicago-notes-bibliography-archive-place-first",
    "turabian-notes-bibliography", "chicago-author-date", "apa", "modern-language-association",
    "mhra-notes", "oxford-guide-to-style-notes", "cambridge-university-press-note",
    "the-historical-journal", "taylor-and-francis-chicago-author-date", "gost-r-7-0-5-2008",
    "gost-r-7-0-5-2008-numeric", "archival-documents",
]
LOCALES = ["en-US", "en-GB", "ru-RU", "de-DE", "fr-FR"]
#: The combinations with goldens: every style in every locale.
COMBINATIONS = [("mixed", style, locale) for style in STYLES for locale in LOCALES]


def clusters(ids: list[str]) -> list[list[str]]:
    """Multi-cite citations: groups of 2 and 3 consecutive records (at most 30 citations)."""
    out, i, size = [], 0, 2
    while i + size <= len(ids) and len(out) < 30:
        out.append(ids[i:i + size])
        i += size
        size = 5 - size
    return out


def corpora() -> dict[str, list[dict]]:
    import mixed_records

    from exporter.csl import entry_to_csl
    from exporter.engine import Engine
    from exporter.sources.corpus import default_corpus

    engine = Engine()
    return {
        "sample": [entry_to_csl(e) for e in engine.load(default_corpus()).entries],
        "mixed": mixed_records.make(),
    }


def main(out: str) -> None:
    import citeproc

    from exporter.citations import catalog
    from exporter.engine import Engine

    engine = Engine()
    styles = {}
    for name in STYLES:
        path = engine.style(name).path
        parent = catalog.dependency(path)
        styles[name] = str(parent[0] if parent else path)
    data = corpora()
    OUT.mkdir(parents=True, exist_ok=True)
    for name, records in data.items():
        (OUT / f"records--{name}.json").write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n",
                                                   encoding="utf-8")
    locales = {loc: str(Path(citeproc.LOCALES_PATH) / f"locales-{loc}.xml") for loc in LOCALES}
    Path(out).write_text(json.dumps({
        "corpora": data, "clusters": {k: clusters([r["id"] for r in v]) for k, v in data.items()},
        "styles": styles, "locales": locales}, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/locale-inputs.json")
