"""Annotations anchor at exact positions; unfindable and ambiguous quotes are reported."""

from __future__ import annotations

from dataclasses import replace

from exporter.engine import ExportRequest, anchor
from exporter.model import AnnotationEnd, AnnotationStart, Text


def anchored(engine, entry_id, user="tomas"):
    doc = engine.assemble(ExportRequest(format="json", entries=entry_id, user=user, annotations="visible"))
    return doc


def between(layer, ann):
    """The text between the annotation's markers, walking the blocks (joined by newlines)."""
    out, inside, kinds = [], False, []
    for bi, block in enumerate(layer.blocks):
        if inside and bi:
            out.append("\n")
        for item in block.inlines:
            if isinstance(item, AnnotationStart) and item.annotation.id == ann.id:
                inside = True
            elif isinstance(item, AnnotationEnd) and item.annotation.id == ann.id:
                return "".join(out), kinds
            elif inside and isinstance(item, Text):
                out.append(item.text)
            elif inside:
                kinds.append(type(item).__name__)
    raise AssertionError("no end marker")


def find(doc, suffix):
    return next(a for a in doc.annotations if a.id.endswith(suffix))


def test_every_sample_annotation_anchors_exactly(engine):
    for user in ("irina", "tomas", "leila", "dmitri"):
        doc = engine.assemble(ExportRequest(format="json", all=True, user=user, annotations="mine"))
        assert not [w for w in doc.warnings if "annotation" in w]
        for e in doc.entries:
            for ann in e.annotations:
                layer = e.layers[ann.layer]
                assert layer.text[ann.start:ann.end] == ann.exact
                assert between(layer, ann)[0] == ann.exact


def test_quote_occurring_twice_takes_the_one_prefix_suffix_name(engine):
    doc = anchored(engine, "kd1-1918-03-06", user="irina")
    ann = find(doc, "a0010")
    text = doc.entries[0].layers[ann.layer].text
    first = text.find(ann.exact)
    assert text.count(ann.exact) >= 2 and ann.start > first


def test_quote_across_page_break_and_note(engine):
    doc = anchored(engine, "kd1-1918-03-06", user="irina")
    ann = find(doc, "a0012")
    assert "PageBreak" in between(doc.entries[0].layers[ann.layer], ann)[1]
    doc = anchored(engine, "kd1-1918-03-03a", user="irina")
    ann = find(doc, "a0001")
    assert "NoteRef" in between(doc.entries[0].layers[ann.layer], ann)[1]


def test_unfindable_and_ambiguous_are_reported(sample):
    entry = sample.get("kd1-1918-03-06")
    layer = entry.layers["translation"]
    base = next(a for a in sample.annotations if a.id.endswith("a0010"))
    missing = replace(base, id="x-missing", exact="words that are not in the text", prefix="", suffix="",
                      start=-1, end=-1)
    ambiguous = replace(base, id="x-ambiguous", prefix="", suffix="", start=-1, end=-1)
    warnings = []
    new, placed = anchor.anchor_layer(layer, [missing, ambiguous], warnings, entry.id)
    assert placed == []
    assert any("x-missing" in w and "not found" in w for w in warnings)
    assert any("x-ambiguous" in w and "ambiguous" in w for w in warnings)
    # The position selector breaks the tie when it points at one of the matches.
    exact_pos = layer.text.find(base.exact)
    tie = replace(ambiguous, id="x-tie", start=exact_pos, end=exact_pos + len(base.exact))
    _, placed = anchor.anchor_layer(layer, [tie], warnings, entry.id)
    assert placed[0].start == exact_pos


def test_overlapping_annotations(engine):
    doc = anchored(engine, "kd1-1918-03-10", user="irina")
    anns = [a for a in doc.annotations if a.id.endswith(("a0015", "a0016"))]
    assert len(anns) == 2
    a, b = sorted(anns, key=lambda x: x.start)
    assert a.start < b.start < a.end  # they overlap
    layer = doc.entries[0].layers[a.layer]
    assert between(layer, a)[0] == a.exact and between(layer, b)[0] == b.exact


def test_cross_paragraph_annotation(engine):
    doc = anchored(engine, "kd1-1918-03-03a", user="irina")
    ann = find(doc, "a0005")
    assert "\n" in ann.exact
    assert between(doc.entries[0].layers[ann.layer], ann)[0] == ann.exact


def test_annotation_page_is_recorded(engine):
    doc = anchored(engine, "kd1-1918-03-06", user="irina")
    ann = find(doc, "a0012")
    assert ann.page == "24"
