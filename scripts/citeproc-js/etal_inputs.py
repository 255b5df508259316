"""Write the inputs of make_etal_goldens.js: archival records with one to six authors, the
citations that cite them again (so later cites are subsequent or ibid), and the styles that
set ``et-al-subsequent-min`` / ``et-al-subsequent-use-first`` (in-text and note).

    .venv/bin/python scripts/citeproc-js/etal_inputs.py /tmp/etal-inputs.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

#: Styles with et-al-subsequent-* on cs:citation: two in-text, two note styles.
STYLES = ["apa-6th-edition", "american-sociological-association", "chicago-notes-classic",
          "chicago-notes-archive-place-first"]
LOCALES = ["en-US", "ru-RU"]

_PEOPLE = [("Miliukov", "Pavel"), ("Набоков", "Владимир Дмитриевич"), ("Francis", "David R."),
           ("Lockhart", "R. H. Bruce"), ("Щербатов", "Николай"), ("Noulens", "Joseph"),
           ("Poole", "DeWitt Clinton"), ("Summers", "Maddin"), ("Терещенко", "Михаил Иванович")]
_TITLES = ["Report of the Allied Commission on the Evacuation of Petrograd",
           "Записка о положении на фронте", "Joint Memorandum on the Food Supply",
           "Донесение о переговорах в Брест-Литовске", "Minutes of the Embassy Council",
           "Протокол совещания послов"]


def records() -> list[dict]:
    out = []
    for i in range(12):
        n = 1 + i % 6
        authors = [{"family": f, "given": g} for f, g in (_PEOPLE[(i + k) % len(_PEOPLE)] for k in range(n))]
        rec = {"id": f"etal-{i:02d}", "type": "manuscript" if i % 3 else "report", "title": _TITLES[i % len(_TITLES)],
               "author": authors, "issued": {"date-parts": [[1917 + i % 3, 1 + i % 12]]},
               "archive": "State Archive of the Russian Federation (GARF)", "archive_location": f"f. R-{5000 + i}",
               "publisher-place": "Moscow"}
        out.append(rec)
    return out


def clusters() -> list[list[dict]]:
    """First cites, an ibid, ibid with a page, subsequent cites and multi-cite citations."""
    ids = [f"etal-{i:02d}" for i in range(12)]
    out = [[{"id": i}] for i in ids[:6]]
    out += [[{"id": ids[5]}], [{"id": ids[5], "locator": "12"}], [{"id": ids[2]}, {"id": ids[3]}]]
    out += [[{"id": ids[6]}, {"id": ids[7]}, {"id": ids[4]}], [{"id": ids[6]}], [{"id": ids[8]}],
            [{"id": ids[3]}, {"id": ids[8]}, {"id": ids[9]}], [{"id": ids[10]}, {"id": ids[11]}],
            [{"id": ids[11], "locator": "3"}], [{"id": i} for i in ids[:4]]]
    return out


def main(out: str) -> None:
    import citeproc

    from exporter.engine import Engine

    engine = Engine()
    Path(out).write_text(json.dumps({
        "records": records(), "clusters": clusters(),
        "styles": {name: str(engine.style(name).path) for name in STYLES},
        "locales": {loc: str(Path(citeproc.LOCALES_PATH) / f"locales-{loc}.xml") for loc in LOCALES},
    }, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/etal-inputs.json")
