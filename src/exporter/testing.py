"""Test helpers for format plugin authors.

:func:`check_format` runs one registered format through the real engine over a small selection
of the bundled sample corpus (or a corpus you give) and checks the basics every format must
meet.  It raises :class:`FormatCheckError` (an ``AssertionError``) naming what went wrong, so it
reads well in a pytest failure::

    from exporter.testing import check_format

    def test_basics(tmp_path):
        checked = check_format("epub", tmp_path)
        assert checked.data.startswith(b"PK")

The same as a pytest fixture: import :func:`exporter_format_check` into your test module or
``conftest.py`` (``from exporter.testing import exporter_format_check``), then ask for it::

    def test_basics(exporter_format_check):
        exporter_format_check("epub")

What is checked (see ``docs/plugins.md``):

* the format is registered (else the plugin failures are listed), its name, media type and
  extension are well formed;
* the export succeeds (no exception, within ``timeout``), writes exactly the target file (no temp
  file left beside it), non-empty, and the result reports the format's media type and the real
  size; the bytes look like that media type (PDF header, ZIP container, EPUB ``mimetype``
  entry, parseable JSON/XML, UTF-8 text);
* a material format (``material=True``) is refused without accepted terms and over the print
  limit, and nothing is written; a non-material format needs neither.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any, Callable

from .engine import Engine, ExportRequest, ExportResult
from .errors import ExporterError, PolicyRefusal
from .plugins import Plugins, load_plugins
from .registry import Format

__all__ = ["FormatCheck", "FormatCheckError", "check_format", "sample_corpus", "sniff", "exporter_format_check"]

_MEDIA_TYPE = re.compile(r"^[a-z]+/[a-z0-9][a-z0-9.+-]*(;.*)?$")
_EXTENSION = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)?$")


class FormatCheckError(AssertionError):
    """A format failed one of the basic checks."""


@dataclass
class FormatCheck:
    """What :func:`check_format` exported and checked."""

    format: Format
    path: Path
    result: ExportResult
    data: bytes
    request: ExportRequest
    checks: list[str] = field(default_factory=list)


def sample_corpus() -> Path:
    """The bundled sample corpus (package data of ``exporter``, so it works from a wheel)."""
    from .sources.corpus import default_corpus

    return default_corpus()


def sniff(media_type: str, data: bytes) -> str | None:
    """Return a reason when ``data`` does not look like ``media_type`` (``None`` when it does)."""
    base = media_type.split(";")[0].strip().lower()
    if not data:
        return "the output is empty"
    if base == "application/pdf":
        return None if data.startswith(b"%PDF-") else "a PDF must start with %PDF-"
    if base == "application/epub+zip":
        return _sniff_epub(data)
    if base.endswith("+zip") or base in ("application/zip",) or "openxmlformats" in base \
            or "opendocument" in base:
        if not zipfile.is_zipfile(BytesIO(data)):
            return f"{base} output is not a ZIP container"
        return None
    if base == "application/json" or base.endswith("+json"):
        try:
            json.loads(data.decode("utf-8"))
        except ValueError as exc:
            return f"not valid UTF-8 JSON: {exc}"
        return None
    if base.endswith("/xml") or base.endswith("+xml"):
        from lxml import etree

        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        try:
            etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            return f"not well-formed XML: {exc}"
        return None
    if base.startswith("text/"):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"text output is not UTF-8: {exc}"
        if base == "text/html" and "<html" not in text[:4096].lower():
            return "HTML output has no <html> element near the start"
        return None
    return None


def _sniff_epub(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(BytesIO(data)) as zf:
            infos = zf.infolist()
            if not infos or infos[0].filename != "mimetype":
                return "an EPUB's first ZIP entry must be 'mimetype'"
            if infos[0].compress_type != zipfile.ZIP_STORED:
                return "an EPUB's 'mimetype' entry must be stored uncompressed"
            if zf.read("mimetype") != b"application/epub+zip":
                return "an EPUB's 'mimetype' entry must read application/epub+zip"
            if "META-INF/container.xml" not in zf.namelist():
                return "an EPUB needs META-INF/container.xml"
    except zipfile.BadZipFile as exc:
        return f"not a ZIP container: {exc}"
    return None


def _fail(fmt_name: str, what: str) -> None:
    raise FormatCheckError(f"format '{fmt_name}': {what}")


def _choose_entries(engine: Engine, corpus: Path | str) -> tuple[list[str], str | None]:
    """Consecutive entries from the start of the corpus that fit the print limit, and a reader.

    The reader is the user with most annotations on those entries, so that annotations are
    part of the export when the corpus has any.
    """
    from .engine.policy import page_keys

    loaded = engine.load(corpus)
    chosen: list = []
    for entry in loaded.entries:
        candidate = chosen + [entry]
        if chosen and len(page_keys(candidate)) > engine.print_limit_for(loaded, candidate):
            break
        chosen.append(entry)
        if len(chosen) >= 5:
            break
    ids = {e.id for e in chosen}
    counts: dict[str, int] = {}
    for ann in loaded.annotations:
        if ann.entry_id in ids and ann.creator:
            counts[ann.creator] = counts.get(ann.creator, 0) + 1
    user = max(counts, key=lambda u: counts[u]) if counts else None
    return [e.id for e in chosen], user


def _leftovers(folder: Path, keep: Path | None) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if keep is None or p.resolve() != keep.resolve())


def check_format(
    name: str,
    tmp_path: Path | str,
    *,
    corpus: Path | str | None = None,
    plugins: Plugins | None = None,
    entries: list[str] | None = None,
    user: str | None = None,
    timeout: float = 120.0,
    extra_check: Callable[[bytes], None] | None = None,
) -> FormatCheck:
    """Export a small selection in format ``name`` and check the basics; return what was made.

    :param name: the format's registered name.
    :param tmp_path: an empty folder for the outputs (pytest's ``tmp_path``).
    :param corpus: corpus to export from (default: the bundled sample).
    :param plugins: a plugin manager (default: :func:`exporter.plugins.load_plugins`, i.e. the
        installed plugins, honouring ``EXPORTER_PLUGINS``/``EXPORTER_DISABLE_PLUGINS``).
    :param entries: entry ids to export (default: the first entries of the corpus that fit the
        print limit, at most five).
    :param user: the reader whose visible annotations are included (default: the user with most
        annotations on those entries).
    :param timeout: render time limit in seconds.
    :param extra_check: called with the output bytes for format-specific checks.
    :raises FormatCheckError: naming the format and the failed check.
    """
    base = Path(tmp_path)
    n = 1
    while (base / f"check-{name}-{n}").exists():
        n += 1
    folder = base / f"check-{name}-{n}"
    folder.mkdir(parents=True)
    plugins = plugins if plugins is not None else load_plugins()
    if name not in plugins.formats:
        failures = "; ".join(str(f) for f in plugins.failures) or "none"
        _fail(name, f"not registered (known: {', '.join(plugins.formats.names())}; plugin failures: {failures})")
    fmt = plugins.formats.get(name)
    checks: list[str] = []
    if not _MEDIA_TYPE.match(fmt.media_type or ""):
        _fail(name, f"media type {fmt.media_type!r} is not of the form type/subtype")
    if not _EXTENSION.match(fmt.extension or ""):
        _fail(name, f"extension {fmt.extension!r} must be lowercase letters/digits without a leading dot")
    if not callable(fmt.render):
        _fail(name, "render is not callable")
    if not isinstance(fmt.material, bool):
        _fail(name, f"material must be True or False, not {fmt.material!r}")
    checks.append("registration")

    engine = Engine(plugins)
    corpus = corpus if corpus is not None else sample_corpus()
    if entries is None:
        entries, default_user = _choose_entries(engine, corpus)
        user = user if user is not None else default_user
    request = ExportRequest(format=name, entries=",".join(entries), corpus=corpus, user=user,
                            annotations="visible" if user else "none", accept_terms=True, timeout=timeout)
    target = folder / f"sample.{fmt.extension}"
    try:
        result = engine.export(request, target)
    except ExporterError as exc:
        _fail(name, f"export of {', '.join(entries)} failed: {exc}")
    except Exception as exc:  # noqa: BLE001 -- any escape from the engine is a finding
        _fail(name, f"export of {', '.join(entries)} raised {type(exc).__name__}: {exc}")
    if not target.is_file():
        _fail(name, f"no file was written at {target}")
    data = target.read_bytes()
    if not data:
        _fail(name, "the output file is empty")
    if result.size != len(data):
        _fail(name, f"result reports {result.size} bytes but the file has {len(data)}")
    if result.media_type != fmt.media_type:
        _fail(name, f"result media type {result.media_type!r} differs from the format's {fmt.media_type!r}")
    left = _leftovers(folder, target)
    if left:
        _fail(name, f"files left beside the output: {', '.join(left)}")
    reason = sniff(fmt.media_type, data)
    if reason:
        _fail(name, f"output does not look like {fmt.media_type}: {reason}")
    checks.extend(["export", "media type"])

    if fmt.material:
        _expect_refusal(engine, name, folder, fmt,
                        _copy(request, accept_terms=False), "terms", "without --accept-terms")
        _expect_refusal(engine, name, folder, fmt,
                        _copy(request, print_limit=max(result.source_pages - 1, 0)), "print limit",
                        f"with {result.source_pages} source pages over a limit of {max(result.source_pages - 1, 0)}")
        checks.extend(["terms", "print limit"])
    else:
        free = folder / f"unlimited.{fmt.extension}"
        try:
            engine.export(_copy(request, accept_terms=False, print_limit=0), free)
        except ExporterError as exc:
            _fail(name, f"is not material, yet was refused without terms and over the limit: {exc}")
        free.unlink()
        checks.append("not print-limited")
    if extra_check is not None:
        extra_check(data)
        checks.append("extra")
    return FormatCheck(format=fmt, path=target, result=result, data=data, request=request, checks=checks)


def _copy(request: ExportRequest, **changes: Any) -> ExportRequest:
    from dataclasses import replace

    return replace(request, **changes)


def _expect_refusal(engine: Engine, name: str, folder: Path, fmt: Format, request: ExportRequest,
                    what: str, how: str) -> None:
    target = folder / f"refused.{fmt.extension}"
    try:
        engine.export(request, target)
    except PolicyRefusal:
        pass
    except Exception as exc:  # noqa: BLE001
        _fail(name, f"{how}: expected a print-policy refusal ({what}), got {type(exc).__name__}: {exc}")
    else:
        _fail(name, f"is material but was not refused {how}")
    if target.exists():
        _fail(name, f"refused export ({what}) still wrote {target.name}")
    left = [n for n in _leftovers(folder, None) if n.startswith(".") or n == target.name]
    if left:
        _fail(name, f"refused export ({what}) left files: {', '.join(left)}")


try:  # the fixture is defined only where pytest is installed (it is not a dependency)
    import pytest as _pytest
except ImportError:  # pragma: no cover
    _pytest = None

if _pytest is not None:

    @_pytest.fixture
    def exporter_format_check(tmp_path: Path) -> Callable[..., FormatCheck]:
        """Pytest fixture: ``exporter_format_check(name, **options)`` runs :func:`check_format`."""
        counter = iter(range(1_000_000))

        def run(name: str, **options: Any) -> FormatCheck:
            return check_format(name, tmp_path / f"run{next(counter)}", **options)

        return run
else:  # pragma: no cover
    exporter_format_check = None  # type: ignore[assignment]
