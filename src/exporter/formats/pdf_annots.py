"""Readers' annotations as real PDF annotations (added with pypdf after weasyprint has written).

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

import io
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..model import Annotation

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


def add_annotations(pdf: bytes, pages: list[Any], annotations: list[Annotation],
                    placements: dict[int, Placement]) -> tuple[bytes, list[str]]:
    """``pdf`` with a Highlight (or Text note) for each of ``annotations``; and warnings."""
    warnings: list[str] = []
    if not annotations:
        return pdf, warnings
    from pypdf import PdfWriter
    from pypdf.generic import (
        ArrayObject,
        BooleanObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        StreamObject,
        TextStringObject,
    )

    # Incremental: weasyprint's bytes stay as written (header, XMP, output intent) and only the
    # new and changed objects are appended -- faster, and allowed by PDF/A.
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    heights = [p.height for p in pages]
    added: list[tuple[int, Any]] = []  # (page index, annotation reference) for tagging

    def num(v: float) -> FloatObject:
        return FloatObject(round(v, 3))

    def appearance(rect: list[float], content: bytes) -> Any:
        stream = StreamObject()
        stream.set_data(content)
        stream.update({
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject([num(v) for v in rect]),
            NameObject("/Resources"): DictionaryObject(),
        })
        return writer._add_object(stream)

    def common(a: Annotation, subtype: str, rect: list[float], part: str) -> DictionaryObject:
        d = DictionaryObject()
        subject = f"A{a.number} · {a.visibility}" + (f" ({a.group})" if a.group else "")
        if a.tags:
            subject += " · tags: " + ", ".join(a.tags)
        d.update({
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject(subtype),
            NameObject("/Rect"): ArrayObject([num(v) for v in rect]),
            NameObject("/Contents"): TextStringObject(_clean(a.body)),
            NameObject("/T"): TextStringObject(_clean(a.creator_name or a.creator or "unknown")),
            NameObject("/Subj"): TextStringObject(_clean(subject)),
            NameObject("/NM"): TextStringObject(f"{a.id}{part}"),
            NameObject("/F"): NumberObject(4),  # print
            NameObject("/C"): ArrayObject([num(c) for c in HIGHLIGHT_RGB]),
        })
        created = _pdf_date(a.created)
        modified = _pdf_date(a.modified) or created
        if created:
            d[NameObject("/CreationDate")] = TextStringObject(created)
        if modified:
            d[NameObject("/M")] = TextStringObject(modified)
        return d

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
                d[NameObject("/QuadPoints")] = ArrayObject([num(v) for v in quads])
                d[NameObject("/AP")] = DictionaryObject({NameObject("/N"): appearance(rect, b"")})
                ref = writer.add_annotation(page_index, d)
                added.append((page_index, ref))
        elif place and place.marker:
            page_index, x, y = place.marker
            ph = heights[page_index]
            left, top = x * PT_PER_PX, (ph - y) * PT_PER_PX
            rect = [left, top - 12, left + 12, top]
            d = common(a, "/Text", rect, "")
            d[NameObject("/Name")] = NameObject("/Comment")
            d[NameObject("/Open")] = BooleanObject(False)
            icon = (b"q 1 0.86 0.2 rg 0.4 0.3 0 RG 0.8 w 0.5 0.5 11 11 re B "
                    b"0.4 0.3 0 RG 3 8 m 9 8 l S 3 5.5 m 9 5.5 l S 3 3 m 7 3 l S Q")
            d[NameObject("/AP")] = DictionaryObject({NameObject("/N"): appearance(rect, icon)})
            ref = writer.add_annotation(page_index, d)
            added.append((page_index, ref))
        else:
            warnings.append(f"annotation A{a.number} ({a.id}) could not be located on the page; "
                            "it is listed after its entry but has no PDF annotation")
    _tag(writer, added)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), warnings


def _tag(writer: Any, added: list[tuple[int, Any]]) -> None:
    """In a tagged PDF, give each added annotation an ``Annot`` structure element."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

    root = writer._root_object.get("/StructTreeRoot")
    if root is None or not added:
        return
    root = root.get_object()
    kids = root.get("/K")
    kids = kids.get_object() if kids is not None else None
    document = kids[0].get_object() if isinstance(kids, ArrayObject) and kids else None
    tree = root.get("/ParentTree")
    tree = tree.get_object() if tree is not None else None
    if document is None or tree is None or "/Nums" not in tree:
        return
    nums = tree["/Nums"]
    next_key = max([int(nums[i]) for i in range(0, len(nums), 2)] + [-1]) + 1
    for page_index, ref in added:
        page_ref = writer.pages[page_index].indirect_reference
        element = DictionaryObject({
            NameObject("/Type"): NameObject("/StructElem"),
            NameObject("/S"): NameObject("/Annot"),
            NameObject("/P"): document.indirect_reference,
            NameObject("/Pg"): page_ref,
            NameObject("/K"): DictionaryObject({
                NameObject("/Type"): NameObject("/OBJR"),
                NameObject("/Obj"): ref.indirect_reference,
                NameObject("/Pg"): page_ref,
            }),
        })
        element_ref = writer._add_object(element)
        document["/K"].append(element_ref)
        ref.get_object()[NameObject("/StructParent")] = NumberObject(next_key)
        nums.append(NumberObject(next_key))
        nums.append(element_ref)
        next_key += 1
    root[NameObject("/ParentTreeNextKey")] = NumberObject(next_key)
    for page_index, _ref in added:
        writer.pages[page_index][NameObject("/Tabs")] = NameObject("/S")
