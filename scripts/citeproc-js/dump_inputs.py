"""Write the inputs of make_goldens.js: the records styles format (``citation_record``) of the sample
and FRUS, style and locale paths.

Run from the repository root with the project's venv::

    .venv/bin/python scripts/citeproc-js/dump_inputs.py /tmp/citeproc-inputs.json
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPORA = {"sample": ROOT / "src" / "exporter" / "sample",
           "frus": ROOT / "tests" / "data" / "corpus" / "frus1918Russiav03.xml"}


def main(out: str) -> None:
    import citeproc

    from exporter.csl import citation_record, entry_to_csl
    from exporter.engine import Engine

    engine = Engine()
    corpora = {name: [citation_record(entry_to_csl(e)) for e in engine.load(path).entries]
               for name, path in CORPORA.items()}
    styles = {s.name: str(s.path) for s in engine.plugins.styles}
    locale = os.path.join(citeproc.LOCALES_PATH, "locales-en-US.xml")
    Path(out).write_text(json.dumps({"corpora": corpora, "styles": styles, "locale": locale},
                                    ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/citeproc-inputs.json")
