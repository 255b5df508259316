"""``annotations-md``: the annotations as a Markdown reading list, grouped by entry in volume order.

User text (bodies, quotes, tags, names, titles, citations) is data, never markup: every ASCII
character that CommonMark, GFM or pandoc's Markdown give a meaning to is backslash-escaped,
leading indentation is dropped (it would start a code block), and line breaks inside a body
become hard line breaks.  Each annotation ends with a deep link back to the passage: the entry's
IRI with a text fragment (``#:~:text=``).  See ``docs/annotations.md``.
"""

from __future__ import annotations

import re
from typing import BinaryIO, Iterable

from ...model import Annotation, Document, Entry
from ...registry import RenderInfo
from .common import annotation_count, as_iri, deep_link, passages, timestamp

# ASCII punctuation with a meaning anywhere in a line in CommonMark, GFM or pandoc Markdown
# (emphasis, code, links and footnotes, raw HTML and entities, headings, tables and line blocks,
# sub/superscript and strikeout, math, citations, attributes, emoji codes).  A colon before "/"
# (a URL's "https://") can start neither an emoji code nor a definition.  "--" is a dash in
# pandoc and "---"/"===" lines are rules or setext underlines, so doubled "-" and "=" too.
_INLINE = re.compile(r"[\\`*_{}\[\]<>#|~^$@&]|:(?!/)|-(?=-)|=(?==)")
# List items, setext underlines and pandoc's "(1)" lists start a line with these.
_LINE_START = "-+=("
# Ordered-list markers ("1." "2)" and pandoc's "a." "iv.").
_LIST_MARK = re.compile(r"([0-9A-Za-z]{1,9})[.)]")
_SPACES = re.compile(r"[ \t\f\v]+")
_BLANKS = re.compile(r"\n\s*\n")

VISIBILITY_TEXT = {"private": "private (only the author)", "public": "public"}


def escape_inline(text: str) -> str:
    """Escape one line of user text so that it renders literally."""
    text = _INLINE.sub(r"\\\g<0>", text)
    first = text[:1]
    if first and first in _LINE_START:
        return "\\" + text
    if first.isalnum():
        mark = _LIST_MARK.match(text)
        if mark:
            return text[:mark.end(1)] + "\\" + text[mark.end(1):]
    return text


def one_line(text: str) -> str:
    """User text for a heading or a list item: whitespace collapsed, escaped."""
    return escape_inline(" ".join(text.split()))


def paragraphs(text: str) -> list[str]:
    """User text as escaped Markdown paragraphs; single line breaks become hard breaks."""
    out = []
    for para in _BLANKS.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [escape_inline(_SPACES.sub(" ", ln.strip())) for ln in para.split("\n")]
        lines = [ln for ln in lines if ln]
        if lines:
            out.append("\\\n".join(lines))
    return out


def blockquote(text: str) -> str:
    """The quoted passage as a blockquote, one paragraph per block of the source text."""
    paras = [escape_inline(_SPACES.sub(" ", ln.strip())) for ln in text.split("\n")]
    return "\n>\n".join("> " + p for p in paras if p) or "> "


def link_target(url: str) -> str:
    """A link destination in angle brackets (which cannot hold ``<``, ``>`` or line breaks)."""
    return "<" + url.replace("<", "%3C").replace(">", "%3E").replace("\n", "%0A") + ">"


def _entry_section(entry: Entry) -> str:
    date = entry.date.text or entry.date.iso
    heading = one_line(entry.title or entry.id)
    if date and date not in (entry.title or ""):
        heading += f" ({one_line(date)})"
    lines = [f"## {heading}", ""]
    facts = [f"Entry {one_line(entry.id)}"]
    if entry.date.iso:
        facts.append(f"dated {entry.date.iso}" + (" (approximate)" if entry.date.approximate else ""))
    else:
        facts.append("undated")
    if entry.page_range:
        facts.append(f"pages {one_line(entry.page_range)}")
    lines += [", ".join(facts) + ".", ""]
    cite = entry.citation
    if cite is not None and cite.note:
        lines += ["Citation: " + one_line(cite.note), ""]
        if cite.bibliography and cite.bibliography != cite.note:  # an in-text style's "(Author, 1918)"
            lines += ["Reference: " + one_line(cite.bibliography), ""]
    lines += [f"Link: {link_target(as_iri(entry.iri, 'urn:exporter:entry:'))}", ""]
    return "\n".join(lines) + "\n"


def _annotation_section(entry: Entry, ann: Annotation, prefix: str, suffix: str, number: int) -> str:
    who = ann.creator_name or ann.creator or "unknown"
    where = f"page {one_line(ann.page)}" if ann.page else "unpaginated"
    lines = [f"### {number}. {one_line(who)}, {where} ({one_line(ann.layer)})", "", blockquote(ann.exact), ""]
    for para in paragraphs(ann.body):
        lines += [para, ""]
    facts = []
    if ann.tags:
        facts.append("Tags: " + ", ".join(one_line(t) for t in ann.tags))
    author = one_line(who)
    if ann.creator and ann.creator_name:
        author += f" ({one_line(ann.creator)})"
    facts.append("Author: " + author)
    created, modified = timestamp(ann.created), timestamp(ann.modified)
    if created:
        facts.append("Created: " + created)  # RFC 3339 (see timestamp()): nothing to escape
    if modified:
        facts.append("Modified: " + modified)
    if ann.visibility == "group":
        facts.append("Visibility: group " + one_line(ann.group or ""))
    else:
        facts.append("Visibility: " + VISIBILITY_TEXT.get(ann.visibility, one_line(ann.visibility)))
    facts.append("Passage: " + link_target(deep_link(entry, ann, prefix, suffix)))
    facts.append("Annotation: " + one_line(as_iri(ann.id)))
    lines += ["- " + f for f in facts]
    return "\n".join(lines) + "\n\n"


def _header(doc: Document, total: int, entries: int) -> str:
    mode = {"mine": "the user's own annotations", "visible": "the annotations visible to the user",
            "none": "no annotations"}.get(doc.annotations_mode, one_line(doc.annotations_mode))
    who = f" for {one_line(doc.user_name or doc.user)}" if doc.user else " for an anonymous reader (public annotations)"
    lines = [
        "# Annotations: " + one_line(doc.title), "",
        f"Exported {doc.exported_at.isoformat()}{who}: {mode}, "
        f"{total} annotation{'s' if total != 1 else ''} on {entries} entr{'ies' if entries != 1 else 'y'} "
        f"({one_line(doc.selection.describe())}).", "",
    ]
    return "\n".join(lines) + "\n"


def _chunks(doc: Document) -> Iterable[str]:
    total = annotation_count(doc)
    entries = sum(1 for e in doc.entries if e.annotations)
    yield _header(doc, total, entries)
    if total == 0:
        yield "No annotations match this selection.\n"
        return
    current = None
    # Numbered here, in the order written (volume order), whatever order --entries named them in.
    for number, (entry, ann, prefix, suffix) in enumerate(passages(doc), 1):
        if entry is not current:
            current = entry
            yield _entry_section(entry)
        yield _annotation_section(entry, ann, prefix, suffix, number)


def render(doc: Document, out: BinaryIO) -> RenderInfo:
    """Write the Markdown, one entry section and annotation at a time."""
    buf: list[str] = []
    size = 0
    for chunk in _chunks(doc):
        buf.append(chunk)
        size += len(chunk)
        if size >= 1 << 16:
            out.write("".join(buf).encode("utf-8"))
            buf.clear()
            size = 0
    out.write("".join(buf).encode("utf-8"))
    return RenderInfo()
