"""Citations: the citeproc-py patches are gated on the exact citeproc-py version, and the speed
patches can be switched off without changing any output.

Each case runs in a fresh interpreter: patches are installed once per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from test_cite import HOUSE, STANDARD

STYLES = sorted(STANDARD) + [HOUSE]

#: Formats the sample and the first 60 FRUS entries in every style and mode; prints JSON.
_FORMAT_ALL = r"""
import json, sys
from exporter.engine import Engine
from exporter.csl import entry_to_csl
from exporter.citations import compat, processor
from citeproc import model
engine = Engine()
records = [entry_to_csl(e) for e in engine.load(sys.argv[1]).entries]
records += [entry_to_csl(e) for e in engine.load(sys.argv[2]).entries][:60]
ids = [r["id"] for r in records]
cites = [(i, None) for i in ids[:12]] + [(ids[0], "5"), (ids[0], "5"), (ids[1], None), (ids[1], "7")]
out = {}
for name in sys.argv[3].split(","):
    path = engine.plugins.styles.get(name).path
    rows = processor.format_bibliography(records, path)
    rows += processor.format_citations(records, cites, path, note=True)
    rows += processor.format_citations(records, cites, path, note=False)
    out[name] = [(f.id, f.text, f.html, f.error) for f in rows]
print(json.dumps({"installed": compat.installed(), "out": out,
                  "text_render": model.Text.render.__module__,
                  "macro_render": model.Macro.render.__module__}))
"""

#: Pretends citeproc-py has another version, then formats bibliographies both through the
#: project (unpatched) and through citeproc-py's own API with the same pre- and post-processing.
_OTHER_VERSION = r"""
import importlib.metadata as metadata, json, sys, warnings
real = metadata.version
metadata.version = lambda name: "0.12.0" if name == "citeproc-py" else real(name)
from exporter.engine import Engine
from exporter.csl import entry_to_csl
from exporter.citations import compat, driver, processor
from exporter.citations.markup import MarkerFormatter, to_text
engine = Engine()
records = [entry_to_csl(e) for e in engine.load(sys.argv[1]).entries]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    path = engine.plugins.styles.get("chicago-notes-bibliography").path
    processor.load_style(path)
out = {"warnings": [str(w.message) for w in caught], "installed": compat.installed()}
from citeproc import Citation, CitationItem, CitationStylesBibliography, model
from citeproc.source import BibliographySource
out["initialize"] = model.Name.initialize.__module__
for name in sys.argv[2].split(","):
    path = engine.plugins.styles.get(name).path
    ours = [f.text for f in processor.format_bibliography(records, path)]
    style = processor.load_style(path)
    source = BibliographySource()
    for rec in records:
        source.add(driver.parse_record(rec))
    bib = CitationStylesBibliography(style, source, MarkerFormatter)
    for rec in records:
        bib.register(Citation([CitationItem(rec["id"])]))
    stock = [" ".join(to_text(driver.finish_bibliography(type("R", (), {"style": style}), str(x))).split())
             for x in bib.bibliography()]
    out[name] = {"ours": sorted(t for t in ours if t), "stock": sorted(t for t in stock if t)}
print(json.dumps(out))
"""


def _run(code: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("EXPORTER_CITE_SPEEDUPS", "EXPORTER_CITEPROC_STRICT")}
    environment.update(env)
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=environment, timeout=600)


def test_speedups_off_prints_the_same(sample_path, frus_path):
    """``EXPORTER_CITE_SPEEDUPS=0``: no speed patch is installed, and every style and mode prints
    exactly what it prints with them (text, HTML, errors, order)."""
    args = (_FORMAT_ALL, str(sample_path), str(frus_path), ",".join(STYLES))
    fast, slow = _run(*args), _run(*args, EXPORTER_CITE_SPEEDUPS="0")
    assert fast.returncode == 0, fast.stderr
    assert slow.returncode == 0, slow.stderr
    fast, slow = json.loads(fast.stdout), json.loads(slow.stdout)
    assert fast["installed"] == {"version": "0.11.1", "fidelity": True, "speedups": True,
                                 "names": True}
    assert slow["installed"] == {"version": "0.11.1", "fidelity": True, "speedups": False,
                                 "names": True}
    assert fast["text_render"] == fast["macro_render"] == "exporter.citations.speedups"
    assert slow["text_render"] == "exporter.citations.fidelity"
    # the last fidelity patch of Macro.render: dates in sort keys, over "a macro is a group"
    assert slow["macro_render"] == "exporter.citations.fidelity_sort_dates"
    for name in STYLES:
        got, expected = fast["out"][name], slow["out"][name]
        assert len(got) == len(expected) > 100
        diffs = [(a, b) for a, b in zip(got, expected) if a != b]
        assert not diffs, f"{name}: {diffs[:3]}"
        assert all(row[3] is None or "prints nothing" in row[3] for row in got), name


def test_other_citeproc_version_runs_unpatched_and_correct(sample_path):
    """On a citeproc-py release other than the one the patches were written for, nothing is
    patched, a warning says why, and the bibliography is exactly citeproc-py's own."""
    done = _run(_OTHER_VERSION, str(sample_path),
                "chicago-notes-bibliography,modern-language-association,archival-documents")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["installed"] == {"version": "0.12.0", "fidelity": False, "speedups": False,
                              "names": False}
    assert out["initialize"] == "citeproc.model"
    (warning,) = out["warnings"]
    assert "citeproc-py 0.12.0" in warning and "0.11.1" in warning and "unpatched" in warning
    # (styles without year suffixes: those are the driver's disambiguation, not citeproc-py's)
    for name in ("chicago-notes-bibliography", "modern-language-association", "archival-documents"):
        assert len(out[name]["ours"]) > 30
        assert out[name]["ours"] == out[name]["stock"], name


def test_other_citeproc_version_refused_in_strict_mode(sample_path):
    code = _OTHER_VERSION.split("out = {")[0]
    done = _run(code, str(sample_path), "apa", EXPORTER_CITEPROC_STRICT="1")
    assert done.returncode != 0
    assert "UnsupportedCiteproc: citeproc-py 0.12.0 is installed" in done.stderr


def test_installed_version_is_the_patched_one():
    """The pinned dependency and the patches agree (a new citeproc-py needs the patches
    reviewed, then both changed together)."""
    from importlib.metadata import requires

    from exporter.citations import compat

    assert compat.citeproc_version() == compat.PATCHED_VERSION
    assert f"citeproc-py=={compat.PATCHED_VERSION}" in requires("archive-exporter")
