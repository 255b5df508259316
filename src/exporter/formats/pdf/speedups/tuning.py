"""Speed-ups around weasyprint 70.0 and pydyf that leave every PDF byte as it was, or nearly so.

Built once per process by the ``pdf`` format, and only on the exact weasyprint release they were
written against (see :mod:`exporter.formats.pdf.speedups`, the one gate); anything else runs
untouched.  They are active only while the format renders (:func:`render_scope`): weasyprint's
functions, pydyf's compression and the collector's threshold are swapped in when the first render
starts and back when the last one ends, so weasyprint is stock for the rest of the process.

* :mod:`.draw` -- text drawing without a cffi struct per glyph (identical output); a line
  whose drawing layout would have the same key as one drawn before (text, justification
  spacing, fonts, the style values of :data:`LINE_STYLE_KEYS`) is drawn from the glyphs read
  then, without laying it out with Pango again (:data:`.draw.RECORDS`).
* Computed styles: weasyprint computes each CSS property of each element on first access, through
  one general function.  Most accesses are for a property the element's rules do not set, whose
  value is simply the parent's (inherited) or the initial value; those are answered directly
  (for elements and for anonymous boxes) and every other case goes to weasyprint's function
  (identical output).  The logical property that may set a physical one is looked up once per
  property and direction, and a value that is a plain string or number is not searched for math
  functions (it cannot hold one).
* Initial values: some forty properties that weasyprint reads of nearly every box (margins,
  paddings, sizes, border styles, counters, what paints; :data:`INITIAL_AT_ONCE`) are given to
  each style when it is made, in one dictionary update, with the initial value weasyprint itself
  would give them -- except those the element's rules set, directly or through a logical
  property, which weasyprint computes as before.
* Used lengths: :mod:`.percent` -- weasyprint's ``resolve_percentages`` with its two calls per
  property inlined (the same expressions, in the same order), for the layout modules that import
  it by name.
* Backgrounds: :mod:`.backgrounds` -- boxes that paint no background of their own (no radius,
  image, colour or shadow) get weasyprint's result for them without its function.
* Struts: a style's strut (the used line height and baseline the line layout asks for every line
  and inline box) is kept on the style the first time layout asks for it; weasyprint builds a
  string key from fifteen style values on every call.
* Text layouts kept for drawing: weasyprint lays each line's text out with Pango, then frees the
  Pango objects and, to draw the line, builds them again (a Pango context, layout and font
  description) and lays the same text out a second time.  The layout a line was measured with
  is kept until it is drawn instead (then freed as before), when it was built for the same style
  and needs no justification spacing -- the cases in which weasyprint's rebuild gives the same
  layout; anything else is rebuilt as before.
* Font descriptions: weasyprint builds a Pango font description (seven Pango calls) for every
  text layout, some 800 per ten-page export, from six style values; they are built once per
  distinct set of values (Pango copies the description into each layout; nothing changes one).
* Line-breaking results: weasyprint breaks a text box's lines one at a time (``split_first_line``:
  two or three Pango layouts per line, and the Python around them).  The result is a pure
  function of the text, the available width and some thirty style values, so it is kept, per
  process, keyed by exactly those, and a later box with the same text and values (the same
  entry printed again, by anyone; running headers; labels) gets it without laying the text out.
  What is kept is the line's metrics and weasyprint's own deactivated layout (plain numbers and
  the text); a line taken from it is laid out once when drawn, as weasyprint itself does.
* Font subsets: the subset of a font embedded in a PDF depends only on the font file, the glyphs
  used and two flags; HarfBuzz's subsetter is run once per such set in a process (the same
  selection printed again, or another with the same glyphs), and its output reused.
* Font files: weasyprint copies each font's whole file out of HarfBuzz for every PDF (hundreds
  of kilobytes per font, and the subset cache then hashes the copy); a font face's file is read
  once per process (the faces are held, so that an address is never another face's).
* Compression: pydyf deflates content and font streams at zlib level 9, which costs about twice
  the time of level 6 for files about 1.5 % smaller; level 6 is used for the format's own PDFs
  (pydyf's module is given a ``zlib`` whose ``compressobj`` uses level 6 only in the rendering
  context -- another thread writing a PDF at the same time gets pydyf's own level -- and only
  while a render runs; pydyf 0.13.0 only).  A stream whose content was deflated before in the
  process (a font subset, a page printed again) takes the bytes zlib gave then
  (:class:`_KeptDeflate`, bounded by :data:`MAX_DEFLATED_INPUT`).
* Garbage collection: a render allocates a few hundred thousand short-lived containers (boxes,
  style dictionaries), and CPython's default young-generation threshold (700) runs the collector
  some 25 times per render.  The threshold is raised while a render runs and restored when the
  last render ends (nothing is disabled), also when a time-out interrupts the restoring.

``tests/test_pdf_speedups.py`` compares whole PDFs with and without these (byte for byte, except
for the compression, which is compared on the decompressed content).
"""

from __future__ import annotations

import contextvars
import gc
import sys
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from . import pydyf_supported, supported

#: zlib level for pydyf's streams (pydyf uses 9).
COMPRESSION_LEVEL = 6
#: Young-generation threshold while a render runs (CPython's default is 700).
RENDER_GC_THRESHOLD = 20000

_installed: dict[str, Any] = {}
_lock = threading.RLock()
#: (owner, attribute, weasyprint's own, ours) for every attribute the speed-ups replace.
_patches: list[tuple[Any, str, Any, Any]] = []
#: Renders running now (one token each); the speed-ups are active while this is not empty.
_scopes: set[object] = set()
_saved_threshold: tuple[int, ...] | None = None
_saved_zlib: Any = None
#: Set in the context of a render: pydyf's streams are compressed at COMPRESSION_LEVEL there.
_rendering: contextvars.ContextVar[bool] = contextvars.ContextVar("exporter_pdf_rendering", default=False)


def install() -> bool:
    """Build the speed-ups (once per process) and make them active until :func:`deactivate`
    (the format itself uses :func:`render_scope`); False when the gate says no."""
    import weasyprint

    with _lock:
        if _installed:
            _activate()
            return True
        if not supported(weasyprint.__version__):
            return False
        from . import draw

        draw.install()
        _install_style_lookup()
        _install_initial_values()
        _install_percentages()
        _install_struts()
        _install_backgrounds()
        _install_kept_layouts()
        _install_font_descriptions()
        _install_line_cache()
        _install_subset_cache()
        _install_face_contents()
        _installed["done"] = True
        _patches[:] = [(owner, name, original, getattr(owner, name)) for owner, name, original in _targets()]
        return True


def _targets() -> list[tuple[Any, str, Any]]:
    """(owner, attribute, weasyprint's own) for each replaced attribute, from what was installed."""
    import weasyprint.css as css
    import weasyprint.draw.text as text
    import weasyprint.layout.inline as inline
    import weasyprint.layout.preferred as preferred
    import weasyprint.pdf.fonts as pdf_fonts
    import weasyprint.text.line_break as line_break
    from weasyprint.pdf.fonts import Font

    from . import draw

    found = []
    if "draw_first_line" in draw._original:
        found.append((text, "draw_first_line", draw._original["draw_first_line"]))
    if "missing" in _installed:
        found.append((css.ComputedStyle, "__missing__", _installed["missing"]))
    if "anonymous_missing" in _installed:
        found.append((css.AnonymousStyle, "__missing__", _installed["anonymous_missing"]))
    if "initial_values" in _installed:
        computed_init, anonymous_init = _installed["initial_values"]
        found += [(css.ComputedStyle, "__init__", computed_init), (css.AnonymousStyle, "__init__", anonymous_init)]
    if "percentages" in _installed:
        found += [(module, "resolve_percentages", _installed["percentages"]) for module in _percent_users()]
    if "strut" in _installed:
        found.append((inline, "strut", _installed["strut"]))
    if "backgrounds" in _installed:
        import weasyprint.layout.background as background

        found.append((background, "layout_box_backgrounds", _installed["backgrounds"]))
    if "layout_methods" in _installed:
        deactivate, reactivate = _installed["layout_methods"]
        found += [(line_break.Layout, "deactivate", deactivate), (line_break.Layout, "reactivate", reactivate)]
    if "split_first_line" in _installed:
        found += [(inline, "split_first_line", _installed["split_first_line"]),
                  (preferred, "split_first_line", _installed["split_first_line"])]
    if "harfbuzz_subset" in _installed:
        found.append((Font, "_harfbuzz_subset", _installed["harfbuzz_subset"]))
    if "font_description" in _installed:
        found.append((line_break, "get_font_description", _installed["font_description"]))
    if "face_contents" in _installed:
        face, data = _installed["face_contents"]
        found += [(pdf_fonts, "get_pango_font_hb_face", face), (pdf_fonts, "get_hb_object_data", data)]
    return found


def _activate() -> None:
    for owner, name, _, ours in _patches:
        setattr(owner, name, ours)


def deactivate() -> None:
    """Put weasyprint's own functions back; what was built (and the caches) is kept for the next
    render.  Safe to call again."""
    with _lock:
        for owner, name, original, _ in _patches:
            setattr(owner, name, original)


def active() -> bool:
    """Whether weasyprint runs with the speed-ups now."""
    return bool(_patches) and all(getattr(owner, name) is ours for owner, name, _, ours in _patches)


@contextmanager
def render_scope() -> Iterator[bool]:
    """The speed-ups, active for the duration of one render of the format; yields whether they are.

    The first render to start swaps them in (with the compression level and the collector's
    threshold), the last to end swaps weasyprint's own back.  Leaving is retried until it is
    done, so a time-out arriving while the originals are being put back cannot leave them out.
    """
    token = object()
    with _lock:
        if not _scopes:
            on = install()
            if on:
                _enter_process_settings()
        else:
            on = active()
        _scopes.add(token)
    context = _rendering.set(True)
    try:
        yield on
    finally:
        _surely(lambda: _leave(token, context))


def _leave(token: object, context: contextvars.Token) -> None:
    try:
        _rendering.reset(context)
    except (RuntimeError, ValueError):  # already reset by an interrupted earlier attempt
        pass
    with _lock:
        _scopes.discard(token)
        if not _scopes:
            deactivate()
            _leave_process_settings()


def _surely(action: Callable[[], None]) -> None:
    """Run ``action`` (idempotent) to the end even if an exception (a time-out, an interrupt)
    arrives while it runs; then raise the first such exception."""
    pending: BaseException | None = None
    while True:
        try:
            action()
            break
        except BaseException as exc:
            pending = pending or exc
    if pending is not None:
        raise pending


def _enter_process_settings() -> None:
    """Raise the collector's threshold and give pydyf the compression level (render start)."""
    global _saved_threshold, _saved_zlib
    import pydyf

    if _saved_threshold is None:
        _saved_threshold = gc.get_threshold()
        gc.set_threshold(max(RENDER_GC_THRESHOLD, _saved_threshold[0]), *_saved_threshold[1:])
    shim = _compression_shim()
    if shim is not None and _saved_zlib is None and pydyf_supported(getattr(pydyf, "__version__", "")):
        _saved_zlib = pydyf.zlib
        pydyf.zlib = shim


def _leave_process_settings() -> None:
    """Put the collector's threshold and pydyf's zlib back (last render's end; idempotent)."""
    global _saved_threshold, _saved_zlib
    import pydyf

    if _saved_threshold is not None:
        gc.set_threshold(*_saved_threshold)
        _saved_threshold = None
    if _saved_zlib is not None:
        pydyf.zlib = _saved_zlib
        _saved_zlib = None


def uninstall() -> None:
    """Restore weasyprint's and pydyf's own behaviour (for tests)."""
    import weasyprint.css as css

    from . import draw

    with _lock:
        deactivate()
        _patches.clear()
        draw.uninstall()
        if "missing" in _installed:
            css.ComputedStyle.__missing__ = _installed.pop("missing")
        if "anonymous_missing" in _installed:
            css.AnonymousStyle.__missing__ = _installed.pop("anonymous_missing")
        if "initial_values" in _installed:
            css.ComputedStyle.__init__, css.AnonymousStyle.__init__ = _installed.pop("initial_values")
        if "strut" in _installed:
            import weasyprint.layout.inline as inline

            inline.strut = _installed.pop("strut")
        if "backgrounds" in _installed:
            import weasyprint.layout.background as background

            background.layout_box_backgrounds = _installed.pop("backgrounds")
        if "percentages" in _installed:
            original = _installed.pop("percentages")
            for module in _percent_users():
                module.resolve_percentages = original
        _leave_process_settings()
        if "layout_methods" in _installed:
            from weasyprint.text.line_break import Layout

            Layout.deactivate, Layout.reactivate = _installed.pop("layout_methods")
        if "split_first_line" in _installed:
            import weasyprint.layout.inline as inline
            import weasyprint.layout.preferred as preferred

            inline.split_first_line = preferred.split_first_line = _installed.pop("split_first_line")
            LINE_CACHE.clear()
        if "harfbuzz_subset" in _installed:
            from weasyprint.pdf.fonts import Font

            Font._harfbuzz_subset = _installed.pop("harfbuzz_subset")
            SUBSET_CACHE.clear()
        if "font_description" in _installed:
            import weasyprint.text.line_break as line_break

            line_break.get_font_description = _installed.pop("font_description")
        if "face_contents" in _installed:
            import weasyprint.pdf.fonts as pdf_fonts

            pdf_fonts.get_pango_font_hb_face, pdf_fonts.get_hb_object_data = _installed.pop("face_contents")
        _installed.pop("done", None)


def _install_style_lookup() -> None:
    import weasyprint.css as css
    from weasyprint.css.computed_values import COMPUTER_FUNCTIONS, PHYSICAL_FUNCTIONS
    from weasyprint.css.functions import check_math
    from weasyprint.css.properties import INHERITED, INITIAL_NOT_COMPUTED, INITIAL_VALUES

    original = css.ComputedStyle.__missing__
    pending_type = css.Pending
    # How a key is answered when the element's rules do not set it (``other``: by weasyprint).
    inherit, initial, computed_initial, from_parent, recorded_initial, other = 1, 2, 3, 4, 5, 0
    # Keys whose specified value weasyprint records, each with the key it computes first.
    recorded = {"position": None, "float": "position", "display": "float"}
    kinds: dict[str, tuple[int, Any, Any, bool]] = {}

    def classify(key: str) -> tuple[int, Any, Any, bool]:
        """(kind when unset, logical-property function, computer, whether a set value is fast)."""
        if key[:2] == "__":
            return other, None, None, False
        logical = PHYSICAL_FUNCTIONS.get(key)
        computer = COMPUTER_FUNCTIONS.get(key)
        if key[:16] == "text_decoration_" or key == "page":
            # Propagated (decorations) or taken from the nearest ancestor (page): when unset,
            # either is the parent's computed value.
            return from_parent, logical, computer, False
        if key in recorded:
            return recorded_initial, logical, computer, True
        if key in INHERITED:
            return inherit, logical, computer, True
        if key not in INITIAL_NOT_COMPUTED:
            return initial, logical, computer, True
        return computed_initial, logical, computer, True

    # The logical property that sets a physical one, per direction: weasyprint's functions build
    # the name from their arguments alone, so it is built once per (property, direction).
    logical_names: dict[tuple[str, Any], str] = {}
    plain = frozenset({str, int, float, type(None)})

    def _fast_missing(self: Any, key: str) -> Any:
        try:
            kind, logical, computer, fast_set = kinds[key]
        except KeyError:
            kind, logical, computer, fast_set = kinds[key] = classify(key)
        cascaded = self.cascaded
        # A physical property (margin-top) may be set through its logical one (margin-block-start).
        if logical is not None:
            direction = self["direction"]
            try:
                name = logical_names[key, direction]
            except KeyError:
                name = logical_names[key, direction] = logical(block="ttb", inline=direction)
            if name in cascaded:
                return original(self, key)
        if key in cascaded:
            if not fast_set:
                return original(self, key)
            value = cascaded[key][0]
            if (isinstance(value, pending_type) or value == "inherit" or value == "initial"
                    or check_math(value)):
                return original(self, key)
            compute = computer is not None
        elif kind == inherit:
            parent = self.parent_style
            if parent is None:
                return original(self, key)
            value = parent[key]
            # a string, a number or None holds no math function: only tokens and tuples are checked
            if value.__class__ not in plain and check_math(value):
                return original(self, key)
            self[key] = value
            return value
        elif kind == initial:
            value = self[key] = INITIAL_VALUES[key]
            return value
        elif kind == from_parent:
            parent = self.parent_style
            if parent is None:
                return original(self, key)
            value = self[key] = parent[key]
            return value
        elif kind == computed_initial or kind == recorded_initial:
            value = INITIAL_VALUES[key]
            # weasyprint stores an initial value as it is, unless it is one that needs computing.
            compute = computer is not None and key in INITIAL_NOT_COMPUTED
        else:
            return original(self, key)
        if key in recorded:
            first = recorded[key]
            if first is not None:
                self[first]
            self.specified[key] = value
        if compute:
            value = computer(self, key, value)
        self[key] = value
        return value

    _installed["missing"] = original
    css.ComputedStyle.__missing__ = _fast_missing

    # Anonymous boxes (text runs, line boxes) take inherited values from their parent, others
    # are initial; the rest (decorations, values computed from others) go to weasyprint.
    anonymous = css.AnonymousStyle.__missing__
    anonymous_kinds: dict[str, int] = {}

    def _fast_anonymous_missing(self: Any, key: str) -> Any:
        kind = anonymous_kinds.get(key)
        if kind is None:
            # Decorations propagate: unset on an anonymous box, each is its parent's value.
            kind = anonymous_kinds[key] = (
                inherit if (key in INHERITED or key[:2] == "__" or key == "page"
                            or key[:16] == "text_decoration_")
                else initial if key not in INITIAL_NOT_COMPUTED else other)
        if kind == inherit:
            value = self[key] = self.parent_style[key]
            return value
        if kind == initial:
            value = self[key] = INITIAL_VALUES[key]
            return value
        return anonymous(self, key)

    _installed["anonymous_missing"] = anonymous
    css.AnonymousStyle.__missing__ = _fast_anonymous_missing


#: Properties weasyprint reads of nearly every box it builds, lays out and draws -- the box model,
#: border styles and radii, counters and anchors, what paints -- which no rule sets on most
#: elements, and whose value is then the initial one, as it is (read from at least half of the
#: styles of the benchmark print; each is one ``__missing__`` call per style otherwise).
INITIAL_AT_ONCE = (
    "margin_top", "margin_right", "margin_bottom", "margin_left",
    "padding_top", "padding_right", "padding_bottom", "padding_left",
    "width", "min_width", "max_width", "height", "min_height", "max_height", "box_sizing",
    "border_top_style", "border_right_style", "border_bottom_style", "border_left_style",
    "border_top_left_radius", "border_top_right_radius", "border_bottom_right_radius",
    "border_bottom_left_radius", "border_image_source", "mask_border_source", "box_decoration_break",
    "overflow", "vertical_align", "transform", "opacity", "appearance",
    "background_color", "background_image", "box_shadow", "outline_style", "outline_offset", "outline_color",
    "anchor", "bookmark_level", "bookmark_state", "counter_reset", "counter_set", "counter_increment",
)


def initial_at_once_kind(key: str) -> bool:
    """Whether weasyprint's ``__missing__`` gives ``key``, when no rule sets it, its initial value
    as it is (not inherited, propagated, recorded or computed from other properties)."""
    from weasyprint.css.properties import INHERITED, INITIAL_NOT_COMPUTED, INITIAL_VALUES

    return (key in INITIAL_VALUES and key not in INHERITED and key[:2] != "__" and key != "page"
            and key[:16] != "text_decoration_" and key not in INITIAL_NOT_COMPUTED
            and key not in ("position", "float", "display"))


def _install_initial_values() -> None:
    """Styles made with the initial values of :data:`INITIAL_AT_ONCE` that their rules leave
    unset, in one dictionary update, instead of one ``__missing__`` call per property later
    (weasyprint's own anonymous styles start with their five border and outline widths set)."""
    import weasyprint.css as css
    from weasyprint.css.computed_values import PHYSICAL_FUNCTIONS
    from weasyprint.css.properties import INITIAL_VALUES

    values = {key: INITIAL_VALUES[key] for key in INITIAL_AT_ONCE if initial_at_once_kind(key)}
    # A property is left to weasyprint when a rule sets it, or sets the logical property that
    # maps to it (in either direction: the style's own is not known yet).
    blocks: dict[str, list[str]] = {}
    for key in values:
        logical = PHYSICAL_FUNCTIONS.get(key)
        names = {key} | ({logical(block="ttb", inline=d) for d in ("ltr", "rtl")} if logical else set())
        for name in names:
            blocks.setdefault(name, []).append(key)
    guarded = frozenset(blocks)
    computed_init, anonymous_init = css.ComputedStyle.__init__, css.AnonymousStyle.__init__

    def computed_style_init(self: Any, parent_style: Any, cascaded: dict, *args: Any) -> None:
        computed_init(self, parent_style, cascaded, *args)
        if cascaded.keys().isdisjoint(guarded):
            self.update(values)
            return
        unset = values.copy()
        for name in cascaded.keys() & guarded:
            for key in blocks[name]:
                unset.pop(key, None)
        self.update(unset)

    def anonymous_style_init(self: Any, parent_style: Any) -> None:
        self.update(values)
        anonymous_init(self, parent_style)

    _installed["initial_values"] = (computed_init, anonymous_init)
    css.ComputedStyle.__init__ = computed_style_init
    css.AnonymousStyle.__init__ = anonymous_style_init


def _percent_users() -> list[Any]:
    """weasyprint's layout modules that import ``resolve_percentages`` by name."""
    import importlib

    return [importlib.import_module(f"weasyprint.layout.{name}")
            for name in ("absolute", "block", "column", "float", "grid", "inline", "page", "table")]


def _install_percentages() -> None:
    import weasyprint.layout.percent as percent
    from weasyprint.formatting_structure import boxes

    from .percent import make

    original = percent.resolve_percentages
    # every module that imported weasyprint's function by name gets ours (while a render runs)
    assert all(module.resolve_percentages is original for module in _percent_users())
    _installed["percentages"] = original
    fast = make(percent, boxes)
    for module in _percent_users():
        module.resolve_percentages = fast


def _install_struts() -> None:
    import weasyprint.layout.inline as inline

    original = inline.strut

    def strut(style: Any) -> tuple[Any, Any]:
        # A style's strut (used line height and baseline) is a function of its font values,
        # which do not change once layout reads them; the line layout asks it again for every
        # line and inline box of that style.
        try:
            return style.__dict__["exporter_strut"]
        except KeyError:
            result = style.__dict__["exporter_strut"] = original(style)
            return result

    _installed["strut"] = original
    inline.strut = strut


def _install_backgrounds() -> None:
    import weasyprint.layout.background as background

    from .backgrounds import make

    original = background.layout_box_backgrounds
    _installed["backgrounds"] = original
    background.layout_box_backgrounds = make(original)  # its own recursion finds ours too


def _install_kept_layouts() -> None:
    import weasyprint.draw.text as text
    from weasyprint.text.line_break import Layout

    from . import draw

    deactivate, reactivate = Layout.deactivate, Layout.reactivate
    draw._reactivate["function"] = reactivate
    # Only weasyprint's text drawing may be handed a layout without its Pango objects, and only
    # while it reads the line through our ``draw_first_line``, which knows (any other caller
    # gets them, as before).
    draw_text_code = text.draw_text.__code__

    def keep_until_drawn(self: Any) -> None:
        if self.__dict__.get("_exporter_drawn"):
            if "layout" in self.__dict__:
                deactivate(self)  # after drawing: freed, as weasyprint does
            else:  # drawn from its glyph record: there is nothing to free
                self.__dict__.pop("_exporter_pending", None)
        else:
            self._exporter_kept = True

    def reuse_for_drawing(self: Any, style: Any) -> None:
        kept = self.__dict__.pop("_exporter_kept", False)
        self._exporter_drawn = True
        if sys._getframe(1).f_code is draw_text_code and text.draw_first_line is draw.draw_first_line:
            key = record_key(self, style)
            if key is not None:
                runs = draw.RECORDS.get(key)
                if runs is not None and "layout" not in self.__dict__:
                    # Drawn from the glyphs a line with the same key was drawn with; laid out
                    # only if weasyprint's own drawing is needed after all (ellipsis, emoji).
                    self._exporter_record = runs
                    self._exporter_pending = style
                    return
                self._exporter_record_key = key
        if kept and style is self.style and not self.justification_spacing:
            return
        reactivate(self, style)

    _installed["layout_methods"] = (deactivate, reactivate)
    Layout.deactivate, Layout.reactivate = keep_until_drawn, reuse_for_drawing


def record_key(layout: Any, style: Any) -> tuple | None:
    """What the Pango layout weasyprint builds to draw a line depends on (``Layout.reactivate``:
    the text, the justification spacing, the fonts and the style values of
    :data:`LINE_STYLE_KEYS`); ``None`` when a value is unhashable."""
    key = (layout.text, layout.justification_spacing, style.font_config, line_style_values(style))
    try:
        hash(key)
    except TypeError:
        return None
    return key


#: Distinct font descriptions kept (a handful per export; the cache is emptied past this).
MAX_FONT_DESCRIPTIONS = 512


def _install_font_descriptions() -> None:
    import weasyprint.text.line_break as line_break

    original = line_break.get_font_description
    cache: dict[tuple, Any] = {}

    def get_font_description(style: Any) -> Any:
        try:
            key = (tuple(style["font_family"]), style["font_style"], style["font_stretch"],
                   style["font_weight"], style["font_size"], style["font_variant_caps"],
                   style["font_variation_settings"])
            description = cache.get(key)
        except TypeError:  # an unhashable value: build it as weasyprint does
            return original(style)
        if description is None:
            if len(cache) >= MAX_FONT_DESCRIPTIONS:
                cache.clear()
            description = cache[key] = original(style)
        return description

    _installed["font_description"] = original
    line_break.get_font_description = get_font_description


#: Every style value weasyprint's ``split_first_line`` reads (with the Pango layout it builds and
#: the font description and features it sets); ``tests/test_pdf_speedups.py`` records the values
#: really read and checks that they are all here.
LINE_STYLE_KEYS = (
    "white_space", "font_size", "hyphens", "lang", "hyphenate_limit_chars", "hyphenate_limit_zone",
    "hyphenate_character", "overflow_wrap", "word_break", "direction", "font_language_override",
    "font_family", "font_style", "font_stretch", "font_weight", "font_variant_caps",
    "font_variation_settings", "text_decoration_line", "font_kerning", "font_variant_ligatures",
    "font_variant_position", "font_variant_numeric", "font_variant_alternates",
    "font_variant_east_asian", "font_feature_settings", "word_spacing", "letter_spacing", "tab_size")


def line_style_values(style: Any) -> tuple:
    """The values of :data:`LINE_STYLE_KEYS` in ``style``, read once per style: layout asks for
    them for every line of a text box, and weasyprint changes none of them on a style once it is
    laid out (it changes copies)."""
    kept = style.__dict__
    try:
        return kept["exporter_line_values"]
    except KeyError:
        values = kept["exporter_line_values"] = tuple([style[name] for name in LINE_STYLE_KEYS])
        return values


#: Characters of text kept as keys before the line cache is emptied (a few megabytes).
MAX_LINE_CACHE_CHARS = 1_000_000


class _LineCache(dict):
    """``split_first_line`` results by inputs, emptied whole when its keys hold too much text."""

    chars = 0

    def clear(self) -> None:
        from . import draw

        super().clear()
        self.chars = 0
        draw.RECORDS.clear()  # what was drawn goes with what was laid out


LINE_CACHE = _LineCache()


def _install_line_cache() -> None:
    import weasyprint.layout.inline as inline
    import weasyprint.layout.preferred as preferred
    import weasyprint.text.line_break as line_break

    original = line_break.split_first_line
    if inline.split_first_line is not original or preferred.split_first_line is not original:
        return
    layout_class = line_break.Layout
    # The Pango objects (kept by :func:`_install_kept_layouts` until drawn) and the style are not
    # part of a deactivated layout; everything else on it is plain numbers and the text.
    not_kept = {"layout", "language", "style", "_exporter_kept", "_exporter_drawn"}
    cache = LINE_CACHE
    lock = threading.Lock()

    def split_first_line(text: str, style: Any, context: Any, max_width: Any, justification_spacing: Any,
                         is_line_start: bool = True, minimum: bool = False) -> tuple:
        try:
            key = (text, max_width, justification_spacing, is_line_start, minimum, style.font_config,
                   line_style_values(style))
            hit = cache.get(key)
        except TypeError:  # an unhashable value: laid out as weasyprint does, not kept
            return original(text, style, context, max_width, justification_spacing, is_line_start, minimum)
        if hit is not None:
            state, metrics = hit
            layout = layout_class.__new__(layout_class)
            layout.__dict__.update(state)
            return (layout, *metrics)
        result = original(text, style, context, max_width, justification_spacing, is_line_start, minimum)
        state = {k: v for k, v in result[0].__dict__.items() if k not in not_kept}
        with lock:
            if cache.chars + len(text) > MAX_LINE_CACHE_CHARS:
                cache.clear()
            cache[key] = (state, result[1:])
            cache.chars += len(text)
        return result

    _installed["split_first_line"] = original
    inline.split_first_line = preferred.split_first_line = split_first_line


#: Font subsets kept (a few per export, tens of kilobytes each); emptied whole past this.
MAX_SUBSETS = 64
SUBSET_CACHE: dict[tuple, bytes] = {}


def _install_subset_cache() -> None:
    from weasyprint.pdf.fonts import Font

    original = Font._harfbuzz_subset
    # One object per distinct font file, so that the keys do not hold a copy per render.
    font_files: dict[bytes, bytes] = {}
    lock = threading.Lock()

    def _harfbuzz_subset(self: Any, to_unicode: dict, hinting: bool) -> None:
        content = self.file_content
        key = (font_files.get(content, content), self.index, tuple(sorted(to_unicode)), bool(hinting),
               bool(self.missing))
        subset = SUBSET_CACHE.get(key)
        if subset is not None:
            self.file_content = subset
            return
        original(self, to_unicode, hinting)
        if self.file_content is not content:  # subset (else weasyprint warned and kept the font)
            with lock:
                if len(SUBSET_CACHE) >= MAX_SUBSETS:
                    SUBSET_CACHE.clear()
                    font_files.clear()
                key = (font_files.setdefault(content, content), *key[1:])
                SUBSET_CACHE[key] = self.file_content

    _installed["harfbuzz_subset"] = original
    Font._harfbuzz_subset = _harfbuzz_subset


def _install_face_contents() -> None:
    import weasyprint.pdf.fonts as pdf_fonts
    from weasyprint.text.ffi import ffi

    original_face, original_data = pdf_fonts.get_pango_font_hb_face, pdf_fonts.get_hb_object_data
    # HarfBuzz face address -> a reference to that face, held for the process (one per font
    # file used), so that the address is never another face's; and the face's file content.
    faces: dict[int, Any] = {}
    contents: dict[int, bytes | None] = {}

    def get_pango_font_hb_face(pango_font: Any) -> Any:
        face = original_face(pango_font)
        faces.setdefault(int(ffi.cast("uintptr_t", face)), face)
        return face

    def get_hb_object_data(hb_object: Any, ot_color: Any = None, glyph: Any = None) -> Any:
        if ot_color is None and glyph is None:
            address = int(ffi.cast("uintptr_t", hb_object))
            if address in faces:  # a font's face (not a subset being made): its file, read once
                if address not in contents:
                    contents[address] = original_data(hb_object)
                return contents[address]
        return original_data(hb_object, ot_color, glyph)

    _installed["face_contents"] = (original_face, original_data)
    pdf_fonts.get_pango_font_hb_face = get_pango_font_hb_face
    pdf_fonts.get_hb_object_data = get_hb_object_data


_shim: dict[str, Any] = {}


def _compression_shim() -> Any:
    """pydyf's ``zlib`` as seen while the format renders: ``compressobj`` at
    :data:`COMPRESSION_LEVEL` in the rendering context, with the caller's own arguments elsewhere
    (built once; ``None`` when pydyf does not use the zlib module)."""
    import zlib

    import pydyf

    if "module" not in _shim:
        if getattr(pydyf, "zlib", None) is not zlib:
            _shim["module"] = None
        else:
            shim = types.ModuleType("zlib", "zlib, with pydyf's stream compression at the format's level")
            shim.__dict__.update({k: v for k, v in vars(zlib).items() if not k.startswith("__")})

            def compressobj(*args: Any, **kwargs: Any) -> Any:
                if _rendering.get():
                    if not args and kwargs.keys() == {"level"}:  # pydyf's stream: level only
                        return _KeptDeflate(COMPRESSION_LEVEL)
                    kwargs.pop("level", None)
                    return zlib.compressobj(COMPRESSION_LEVEL, *args[1:], **kwargs)
                return zlib.compressobj(*args, **kwargs)

            shim.compressobj = compressobj  # type: ignore[attr-defined]
            _shim["module"] = shim
    return _shim["module"]


#: Deflated pydyf streams by (level, content), reused for the same content in a later PDF (the
#: same font subset, the same page printed again); emptied whole past MAX_DEFLATED_INPUT bytes.
class _Deflated(dict):
    """Deflated bytes by (level, content); ``content`` counts the bytes of content kept."""

    content = 0

    def clear(self) -> None:
        super().clear()
        self.content = 0


DEFLATED = _Deflated()
MAX_DEFLATED_INPUT = 8_000_000


class _KeptDeflate:
    """``zlib.compressobj(level)`` for one pydyf stream, whose content pydyf passes in one
    ``compress`` call before ``flush()``: the deflated bytes of content deflated before are
    taken from :data:`DEFLATED`.  The concatenated output is exactly zlib's (zlib is run on
    the same input at the same level; any other sequence of calls goes to zlib as it comes)."""

    def __init__(self, level: int) -> None:
        self._level = level
        self._pending: bytes | None = None
        self._zlib: Any = None

    def _real(self) -> Any:
        import zlib

        if self._zlib is None:
            self._zlib = zlib.compressobj(self._level)
            pending, self._pending = self._pending, None
            self._head = self._zlib.compress(pending) if pending is not None else b""
        return self._zlib

    def compress(self, data: Any) -> bytes:
        if self._zlib is None and self._pending is None:
            self._pending = bytes(data)
            return b""
        real = self._real()
        head, self._head = self._head, b""
        return head + real.compress(data)

    def flush(self, *mode: int) -> bytes:
        import zlib

        if mode and mode[0] != zlib.Z_FINISH or self._zlib is not None or self._pending is None:
            real = self._real()
            head, self._head = self._head, b""
            return head + real.flush(*mode)
        content, self._pending = self._pending, None
        key = (self._level, content)
        deflated = DEFLATED.get(key)
        if deflated is None:
            deflated = zlib.compress(content, self._level)
            with _lock:
                if DEFLATED.content + len(content) > MAX_DEFLATED_INPUT:
                    DEFLATED.clear()
                DEFLATED[key] = deflated
                DEFLATED.content += len(content)
        return deflated
