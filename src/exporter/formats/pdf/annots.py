"""Readers' annotations as real PDF annotations (added to the PDF weasyprint writes).

Where: from weasyprint's laid-out pages.  Every highlighted run of text is a
``<mark class="ann" data-ann="3 7">`` element; each line fragment of it is an inline box with
exact coordinates, so the fragments of annotation 3 give the QuadPoints of its Highlight, one
Highlight per page it spans.  Its numbered marker ``<sup id="ann-mark-3">`` is an anchor; when
no highlighted text was laid out (an empty or collapsed range) a Text note is placed there.

What: ``/Contents`` is the annotation's body, ``/T`` its author, ``/Subj`` its number, visibility
and tags, ``/M`` and ``/CreationDate`` its dates, ``/NM`` its id.  Each annotation has an
appearance stream and the print flag (PDF/A requires both); a Highlight's appearance draws
nothing because the page itself already shows the passage highlighted, so printing or flattening
never doubles it.  In a tagged PDF (``pdf/ua-1``) each annotation also gets an ``Annot``
structure element, as PDF/UA requires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from ...model import Annotation

PT_PER_PX = 0.75  # weasyprint lays out in CSS px and writes PDF points
HIGHLIGHT_RGB = (1.0, 0.86, 0.2)
_CONTROL = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


@dataclass
class Placement:
    """Where one annotation landed: highlighted rectangles per page and its marker."""

    rects: dict[int, list[tuple[float, float, float, float]]] = field(default_factory=dict)  # page -> x,y,w,h (px)
    marker: tuple[int, float, float] | None = None  # page, x, y (px)


def _walk(box: Any) -> Iterable[Any]:
    stack = [box]
    while stack:
        b = stack.pop()
        yield b
        stack.extend(reversed(list(b.all_children())))


def find_placements(pages: list[Any]) -> dict[int, Placement]:
    """Annotation number -> where it is, read from weasyprint's laid-out ``pages``."""
    found: dict[int, Placement] = {}
    for index, page in enumerate(pages):
        for box in _walk(page._page_box):
            if getattr(box, "element_tag", None) != "mark":
                continue
            element = getattr(box, "element", None)
            nums = element.get("data-ann", "") if element is not None else ""
            w, h = box.margin_width(), box.margin_height()
            if not nums or w <= 0 or h <= 0:
                continue
            rect = (box.position_x, box.position_y, w, h)
            for n in nums.split():
                if n.isdigit():
                    found.setdefault(int(n), Placement()).rects.setdefault(index, []).append(rect)
        for name, (x1, y1, _x2, _y2) in page.anchors.items():
            if name.startswith("ann-mark-") and name[9:].isdigit():
                found.setdefault(int(name[9:]), Placement()).marker = (index, x1, y1)
    return found


def _pdf_date(text: str | None) -> str | None:
    digits = re.sub(r"\D", "", text or "")
    if len(digits) < 8:
        return None
    return "D:" + digits[:14].ljust(14, "0") + "Z"


def _clean(text: str) -> str:
    return _CONTROL.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", text)


def annotation_finisher(pages: list[Any], annotations: list[Annotation], placements: dict[int, Placement],
                        warnings: list[str]) -> Callable[[Any, Any], None]:
    """A weasyprint ``write_pdf(finisher=...)`` that adds a Highlight (or Text note) for each of
    ``annotations`` to the PDF being written; what cannot be placed is appended to ``warnings``.

    The annotations are added to weasyprint's own PDF objects (pydyf) before it writes them, so the
    PDF is written once, with its header, XMP metadata, output intent and structure tree as
    weasyprint made them -- no second PDF library parses and rewrites it.
    """

    def finish(_document: Any, pdf: Any) -> None:
        _add(pdf, pages, annotations, placements, warnings)

    return finish


def _add(pdf: Any, pages: list[Any], annotations: list[Annotation], placements: dict[int, Placement],
         warnings: list[str]) -> None:
    import pydyf

    pdf_pages = [pdf.objects[number] for number in pdf.pages["Kids"][::3]]
    heights = [p.height for p in pages]
    added: list[tuple[int, Any]] = []  # (page index, annotation) for tagging

    def num(v: float) -> float:
        return round(float(v), 3)

    def appearance(rect: list[float], content: bytes) -> bytes:
        stream = pydyf.Stream([content] if content else [], {
            "Type": "/XObject",
            "Subtype": "/Form",
            "BBox": pydyf.Array([num(v) for v in rect]),
            "Resources": pydyf.Dictionary(),
        })
        pdf.add_object(stream)
        return stream.reference

    def common(a: Annotation, subtype: str, rect: list[float], part: str) -> Any:
        subject = f"A{a.number} · {a.visibility}" + (f" ({a.group})" if a.group else "")
        if a.tags:
            subject += " · tags: " + ", ".join(a.tags)
        d = pydyf.Dictionary({
            "Type": "/Annot",
            "Subtype": subtype,
            "Rect": pydyf.Array([num(v) for v in rect]),
            "Contents": pydyf.String(_clean(a.body)),
            "T": pydyf.String(_clean(a.creator_name or a.creator or "unknown")),
            "Subj": pydyf.String(_clean(subject)),
            "NM": pydyf.String(f"{a.id}{part}"),
            "F": 4,  # print
            "C": pydyf.Array([num(c) for c in HIGHLIGHT_RGB]),
        })
        created = _pdf_date(a.created)
        modified = _pdf_date(a.modified) or created
        if created:
            d["CreationDate"] = pydyf.String(created)
        if modified:
            d["M"] = pydyf.String(modified)
        return d

    def attach(page_index: int, d: Any) -> None:
        pdf.add_object(d)
        page = pdf_pages[page_index]
        if "Annots" not in page:
            page["Annots"] = pydyf.Array()
        page["Annots"].append(d.reference)
        added.append((page_index, d))

    for a in annotations:
        place = placements.get(a.number)
        if place and place.rects:
            for k, (page_index, rects) in enumerate(sorted(place.rects.items())):
                ph = heights[page_index]
                quads: list[float] = []
                xs: list[float] = []
                ys: list[float] = []
                for x, y, w, h in rects:
                    x1, x2 = x * PT_PER_PX, (x + w) * PT_PER_PX
                    top, bottom = (ph - y) * PT_PER_PX, (ph - y - h) * PT_PER_PX
                    quads += [x1, top, x2, top, x1, bottom, x2, bottom]
                    xs += [x1, x2]
                    ys += [top, bottom]
                rect = [min(xs), min(ys), max(xs), max(ys)]
                d = common(a, "/Highlight", rect, "" if k == 0 else f"#part{k + 1}")
                d["QuadPoints"] = pydyf.Array([num(v) for v in quads])
                d["AP"] = pydyf.Dictionary({"N": appearance(rect, b"")})
                attach(page_index, d)
        elif place and place.marker:
            page_index, x, y = place.marker
            ph = heights[page_index]
            left, top = x * PT_PER_PX, (ph - y) * PT_PER_PX
            rect = [left, top - 12, left + 12, top]
            d = common(a, "/Text", rect, "")
            d["Name"] = "/Comment"
            d["Open"] = "false"
            icon = (b"q 1 0.86 0.2 rg 0.4 0.3 0 RG 0.8 w 0.5 0.5 11 11 re B "
                    b"0.4 0.3 0 RG 3 8 m 9 8 l S 3 5.5 m 9 5.5 l S 3 3 m 7 3 l S Q")
            d["AP"] = pydyf.Dictionary({"N": appearance(rect, icon)})
            attach(page_index, d)
        else:
            warnings.append(f"annotation A{a.number} ({a.id}) could not be located on the page; "
                            "it is listed after its entry but has no PDF annotation")
    _tag(pdf, pdf_pages, added)


def _object(pdf: Any, reference: Any) -> Any:
    """The pydyf object behind ``reference`` (``b"12 0 R"``)."""
    return pdf.objects[int(bytes(reference).split()[0])]


def _tag(pdf: Any, pdf_pages: list[Any], added: list[tuple[int, Any]]) -> None:
    """In a tagged PDF, give each added annotation an ``Annot`` structure element."""
    import pydyf

    if "StructTreeRoot" not in pdf.catalog or not added:
        return
    root = _object(pdf, pdf.catalog["StructTreeRoot"])
    kids = root.get("K")
    if not kids or "ParentTree" not in root:
        return
    document = _object(pdf, kids[0])
    tree = _object(pdf, root["ParentTree"])
    if "Nums" not in tree or "K" not in document:
        return
    nums = tree["Nums"]
    next_key = max([int(nums[i]) for i in range(0, len(nums), 2)] + [-1]) + 1
    for page_index, annot in added:
        page = pdf_pages[page_index]
        element = pydyf.Dictionary({
            "Type": "/StructElem",
            "S": "/Annot",
            "P": document.reference,
            "Pg": page.reference,
            "K": pydyf.Dictionary({"Type": "/OBJR", "Obj": annot.reference, "Pg": page.reference}),
        })
        pdf.add_object(element)
        document["K"].append(element.reference)
        annot["StructParent"] = next_key
        nums.append(next_key)
        nums.append(element.reference)
        next_key += 1
    root["ParentTreeNextKey"] = next_key
    for page_index, _annot in added:
        pdf_pages[page_index]["Tabs"] = "/S"
