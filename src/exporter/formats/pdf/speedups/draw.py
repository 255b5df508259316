"""A faster ``draw_first_line`` for weasyprint 70, writing the same PDF bytes.

weasyprint draws each line of text with a Python loop over Pango's glyphs that reads every
glyph as a cffi struct (``glyphs_info[0:n]`` builds one cdata object per glyph, and every field
access crosses into cffi).  For a ten-page export that loop was about a quarter of the drawing
time.  This version reads a run's glyphs in one go, as plain integers from the
``PangoGlyphInfo`` array's memory, and builds the ``TJ`` string in a list.

It handles the common case -- no ellipsis, fonts without SVG, PNG or COLR glyphs (DejaVu) -- and
hands anything else to weasyprint's own function, so emoji and ``text-overflow`` drawing are
untouched.  Every arithmetic step is weasyprint's, in the same order, so the output is byte for
byte the same (``tests/test_pdf_speedups.py`` compares whole PDFs with and without it).
"""

from __future__ import annotations

import array
import struct
import threading
from typing import Any

from . import supported

#: PangoGlyphInfo: glyph (unsigned), geometry (width, x_offset, y_offset), attr (not needed).
_GLYPHS = struct.Struct("=Iiii4x")
_original: dict[str, Any] = {}
_lock = threading.Lock()
#: What Pango treats as a paragraph break (``pango_find_paragraph_boundary``).
_PARAGRAPH_SEPARATORS = frozenset("\n\r\u2029")


def install() -> bool:
    """Use the faster function in weasyprint's text drawing (weasyprint 70 only)."""
    import weasyprint
    import weasyprint.draw.text as text

    if not supported(weasyprint.__version__) or "draw_first_line" in _original:
        return "draw_first_line" in _original
    from weasyprint.text.ffi import ffi

    # PangoGlyphInfo: glyph, geometry (width, x_offset, y_offset), attr -- five 32-bit fields.
    if ffi.sizeof("PangoGlyphInfo") != 20 or ffi.sizeof("gint") != 4:
        return False
    _original["draw_first_line"] = text.draw_first_line
    text.draw_first_line = draw_first_line
    return True


def uninstall() -> None:
    """Restore weasyprint's own function (for tests)."""
    import weasyprint.draw.text as text

    if "draw_first_line" in _original:
        text.draw_first_line = _original.pop("draw_first_line")


def draw_first_line(stream: Any, textbox: Any, text_overflow: str, block_ellipsis: str, matrix: Any) -> list:
    """Draw the given ``textbox`` line to the document ``stream`` (see the module docstring)."""
    from weasyprint.logger import LOGGER
    from weasyprint.text.ffi import FROM_UNITS, ffi, pango

    layout = textbox.pango_layout
    # Set by the kept layouts of :mod:`.tuning` when drawing: the line's glyph record, in place
    # of the Pango layout it was read from, or the key to record it under.
    record = layout.__dict__.pop("_exporter_record", None)
    record_key = layout.__dict__.pop("_exporter_record_key", None)
    if text_overflow == "ellipsis" or block_ellipsis != "none":
        _materialize(layout)
        return _original["draw_first_line"](stream, textbox, text_overflow, block_ellipsis, matrix)
    if not textbox.text.strip():
        return []
    if textbox.style["font_size"] < 1e-6:  # default float precision used by pydyf
        return []
    if record is None:
        runs, holder = read_glyphs(layout, ffi, pango)
        if record_key is not None and holder is not None:
            keep_record(record_key, runs, holder, ffi)
    else:
        runs = record

    # The line's fonts, before anything is written: an emoji font goes weasyprint's way.
    fonts: list[tuple[Any, float] | None] = []
    previous = None
    for pango_font, *_ in runs:
        if pango_font == previous:
            fonts.append(None)
            continue
        previous = pango_font
        font, font_size = stream.add_font(pango_font)
        if font.svg or font.png or font.colr:
            _materialize(layout)
            return _original["draw_first_line"](stream, textbox, text_overflow, block_ellipsis, matrix)
        if pango.pango_version() < 14802:
            font_size = textbox.style["font_size"]
        fonts.append((font, font_size))

    stream.set_text_matrix(*matrix.values)
    empty = pango.PANGO_GLYPH_EMPTY
    unknown_flag = pango.PANGO_GLYPH_UNKNOWN_FLAG
    string = ""
    utf8_text = None
    font = None
    font_size = None
    pango_font = None
    for (run_font, glyphs, clusters, item_offset, item_length, level), new_font in zip(runs, fonts):
        num_glyphs = len(clusters)
        if new_font is not None:
            pango_font = run_font
            if string:
                stream.show_text(string)
            string = ""
            font, font_size = new_font
            stream.set_font_size(font.hash, 1 if font.bitmap else font_size)
        parts = [string, "<"]
        # What a glyph writes depends only on (glyph, width, x offset, y offset) for a given font
        # object and size, so it is computed once per document and font; the font's widths and
        # to_unicode tables are filled on the first occurrence, exactly as weasyprint does.
        pieces = font.__dict__.setdefault("_exporter_pieces", {}).setdefault(font_size, {})
        for i, key in enumerate(_GLYPHS.iter_unpack(glyphs)):
            piece = pieces.get(key)
            if piece is not None:
                parts.append(piece)
                continue
            glyph_id, width, x_offset, y_offset = key

            if glyph_id == empty:  # zero-width empty glyph
                piece = pieces[key] = f">{-width / font_size}<"
                parts.append(piece)
                continue

            cacheable = True
            if glyph_id & unknown_flag:  # .notdef, as weasyprint does it (and every time)
                cacheable = False
                codepoint = glyph_id - unknown_flag
                LOGGER.warning(
                    '.notdef glyph rendered for Unicode string unsupported by fonts: '
                    '"%s" (U+%04X)', chr(codepoint), codepoint)
                glyph_id = font.get_unused_glyph_id(codepoint)
                font.widths[glyph_id] = round(width * 1000 * FROM_UNITS / font_size)
                if 0 not in font.widths:
                    font.widths[0] = font.widths[glyph_id]

            if glyph_id not in font.to_unicode:
                t1 = clusters[i]
                if level % 2:  # rtl
                    t2 = item_length if i == 0 else clusters[i - 1]
                else:
                    t2 = item_length if i == num_glyphs - 1 else clusters[i + 1]
                utf8_text = utf8_text or layout.text.encode()
                font.to_unicode[glyph_id] = utf8_text[item_offset + t1:item_offset + t2].decode()

            offset = x_offset / font_size
            rise = y_offset / 1000
            piece = ""
            if rise:
                cacheable = False
                string = "".join(parts)
                if string[-1] == "<":
                    string = string[:-1]
                else:
                    string += ">"
                if string:
                    stream.show_text(string)
                stream.set_text_rise(-rise)
                string = ""
                if offset:
                    string = f"{-offset}"
                string += f"<{glyph_id:02x}>" if font.bitmap else f"<{glyph_id:04x}>"
                stream.show_text(string)
                stream.set_text_rise(0)
                parts = ["<"]
            else:
                if offset:
                    piece = f">{-offset}<"
                piece += f"{glyph_id:02x}" if font.bitmap else f"{glyph_id:04x}"

            logical_width = font.widths.get(glyph_id)
            if logical_width is None:
                pango.pango_font_get_glyph_extents(pango_font, glyph_id, stream.ink_rect, stream.logical_rect)
                logical_width = font.widths[glyph_id] = round(
                    stream.logical_rect.width * 1000 * FROM_UNITS / font_size)

            # Same expression, same order as weasyprint: the float result must not differ.
            kerning = logical_width + offset - width * 1000 * FROM_UNITS / font_size
            if kerning:
                piece += f">{int(kerning)}<"
            parts.append(piece)
            if cacheable:
                pieces[key] = piece

        string = "".join(parts)
        if string[-1] == "<":
            string = string[:-1]
        else:
            string += ">"

    stream.show_text(string)
    return []


#: What is read from Pango for one run of a drawn line: (PangoFont pointer, the glyphs' Pango
#: ``PangoGlyphInfo`` array as bytes (see ``_GLYPHS``), the glyphs' cluster offsets, the item's
#: byte offset and length, its bidi level).
Run = tuple[Any, bytes, "array.array[int]", int, int, int]


class _Records(dict):
    """Glyph records of drawn lines by what their drawing layout is built from (see
    :func:`exporter.formats.pdf.speedups.tuning.record_key`); emptied whole past
    :data:`MAX_RECORD_GLYPHS`, and with the line cache."""

    glyphs = 0

    def clear(self) -> None:
        super().clear()
        self.glyphs = 0


RECORDS = _Records()
#: Glyphs kept in records before they are emptied (24 bytes each; some 20,000 per export).
MAX_RECORD_GLYPHS = 500_000
#: PangoFont address -> a Pango layout whose lines hold that font, so that a record's pointer
#: stays valid as long as the process (a handful of fonts).
_FONT_HOLDERS: dict[int, Any] = {}


def read_glyphs(layout: Any, ffi: Any, pango: Any) -> tuple[tuple[Run, ...], Any]:
    """The runs of ``layout``'s first line as plain values, read from its Pango layout (laid
    out now if need be), and that Pango layout when the runs may be kept for another line with
    the same key (``None`` if not)."""
    _materialize(layout)
    holder = layout.layout
    if _PARAGRAPH_SEPARATORS.intersection(layout.text):
        # Only these characters behave differently in single-paragraph mode; switching the mode
        # on makes Pango lay the text out again.
        pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
        holder = None
    first_line, _index = layout.get_first_line()
    runs = []
    run = first_line.runs[0]
    while run != ffi.NULL:
        glyph_item = run.data
        glyph_string = glyph_item.glyphs
        num_glyphs = glyph_string.num_glyphs
        item = glyph_item.item
        runs.append((item.analysis.font,
                     bytes(ffi.buffer(glyph_string.glyphs, 20 * num_glyphs)),
                     array.array("i", ffi.unpack(glyph_string.log_clusters, num_glyphs)), item.offset, item.length,
                     item.analysis.level))
        run = run.next
    return tuple(runs), holder


def keep_record(key: tuple, runs: tuple[Run, ...], holder: Any, ffi: Any) -> None:
    """Keep ``runs`` for lines drawn later with the same ``key``.  ``holder``, the Pango layout
    they were read from (its line's items hold a reference to their fonts), is kept for each
    font not seen before, so that no font a record points to is ever freed."""
    for pango_font, *_ in runs:
        _FONT_HOLDERS.setdefault(int(ffi.cast("uintptr_t", pango_font)), holder)
    glyphs = sum(len(run[2]) for run in runs)
    with _lock:
        if RECORDS.glyphs + glyphs > MAX_RECORD_GLYPHS:
            RECORDS.clear()
        RECORDS[key] = runs
        RECORDS.glyphs += glyphs


def _materialize(layout: Any) -> None:
    """Lay ``layout`` out with Pango if it was handed to drawing with a record only."""
    style = layout.__dict__.pop("_exporter_pending", None)
    if style is not None:
        _reactivate["function"](layout, style)


#: weasyprint's own ``Layout.reactivate`` (set by :mod:`.tuning`).
_reactivate: dict[str, Any] = {}
