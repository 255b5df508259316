"""Annotations as real Word comments, anchored on exactly the annotated text.

The body writer (:mod:`exporter.formats.docx.body`) splits runs at every annotation boundary
(the model's start/end markers sit at exact character positions) and records, per annotation,
the first and the last text run inside the range.  Here each annotation becomes a comment through
python-docx's :meth:`docx.document.Document.add_comment`, which puts ``w:commentRangeStart``
before the first run and ``w:commentRangeEnd`` plus the ``w:commentReference`` run after the
last one.  That is exact for every case the model produces:

* ranges crossing formatting changes, a source page marker or a note reference: the markers and
  reference runs inside the range stay inside it (a page marker is the only visible text in a
  range that is not part of the quote; it is styled ``SourcePage``);
* ranges crossing paragraphs: start and end sit in different paragraphs, which Word allows;
* overlapping or nested annotations: each has its own start/end pair; where two start before the
  same run both ``commentRangeStart`` elements precede it, and a comment-reference run (which
  holds no text) may fall inside another range without changing its text.

The comment carries the body (one paragraph per line), then an ``AnnotationMeta`` paragraph with
the annotation's number, tags and visibility (and group); its author and initials are the
creator's name, its date the annotation's ``modified`` (else ``created``) time.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ...model import Annotation
from .body import Anchor

if TYPE_CHECKING:  # pragma: no cover
    from docx.document import Document as DocxDocument


def initials(name: str) -> str:
    """Initials of a display name (``"Tomáš Novák"`` -> ``"TN"``), at most three letters."""
    letters = [w[0] for w in name.replace("-", " ").split() if w[:1].isalpha()]
    if not letters:
        return name[:2].upper()
    if len(letters) > 3:
        letters = letters[:2] + letters[-1:]
    return "".join(letters).upper()


def meta_line(ann: Annotation) -> str:
    """The comment's metadata line: number, tags and visibility."""
    if ann.visibility == "group":
        visibility = f"group {ann.group}" if ann.group else "group"
    else:
        visibility = ann.visibility
    bits = [f"A{ann.number}" if ann.number else "Annotation"]
    bits.append("tags: " + ", ".join(ann.tags) if ann.tags else "no tags")
    bits.append(f"visibility: {visibility}")
    return " · ".join(bits)


def _when(ann: Annotation) -> datetime | None:
    for value in (ann.modified, ann.created):
        if value:
            try:
                when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return None


def add_comments(document: "DocxDocument", anchors: list[Anchor], runs: list, warnings: list[str]) -> int:
    """Add one comment per anchored annotation; ``runs`` are the body's ``w:r`` elements in order.

    Returns the number of comments written.  An annotation whose range holds no text (possible
    only if page narrowing cut it down to nothing) is reported in ``warnings`` and left out.
    """
    from docx.oxml.ns import qn
    from docx.oxml.parser import OxmlElement
    from docx.text.paragraph import Paragraph
    from docx.text.run import Run

    from .template import word_lang

    body = document._body  # noqa: SLF001 -- the parent proxy python-docx itself would use
    written = 0
    for anchor in anchors:
        ann = anchor.annotation
        if anchor.first < 0:
            warnings.append(f"annotation {ann.id} on {ann.entry_id} has no text in this export; left out")
            continue
        first_r, last_r = runs[anchor.first], runs[anchor.last]
        first = Run(first_r, Paragraph(first_r.getparent(), body))
        last = Run(last_r, Paragraph(last_r.getparent(), body))
        author = ann.creator_name or ann.creator or "Unknown"
        comment = document.add_comment([first, last], text=ann.body, author=author, initials=initials(author))
        when = _when(ann)
        if when is not None:
            comment._comment_elm.date = when  # noqa: SLF001 -- python-docx stamps "now"; keep the annotation's time
        lang = word_lang(ann.body_language)
        if lang:
            for r in comment._comment_elm.iter(qn("w:r")):  # noqa: SLF001
                if r.find(qn("w:t")) is not None:
                    r.get_or_add_rPr().append(OxmlElement("w:lang", attrs={qn("w:val"): lang}))
        meta = comment.add_paragraph(meta_line(ann))
        meta._p.style = "AnnotationMeta"  # noqa: SLF001 -- set the id directly, as python-docx does
        written += 1
    return written
