"""Citations: the project's names renderer (``exporter.citations.names``) in place of
citeproc-py's ``Name.process``.

* names render through it, and the goldens (citeproc-js's output on the archive's records)
  are identical through it;
* the CSL test suite's name fixtures it exists for pass;
* ``EXPORTER_CITE_NAMES=0`` leaves citeproc-py's method in place, and the archive's goldens are
  still identical on that path;
* the pieces citeproc-js has and the renderer reproduces: particles read from the fields,
  initials.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import csl_suite
from test_cite_golden import GOLDEN, MODES, _compare_lines

#: Fixtures of the CSL test suite that only the names renderer passes (citeproc-py's loop
#: cannot print them), one per feature.
FIXTURES = (
    "name_AfterInvertedName", "name_ArticularWithComma", "name_AsianGlyphs",
    "name_DelimiterAfterInverted", "name_FormattingOfParticles", "name_HebrewAnd",
    "name_HyphenatedNonDroppingParticle1", "name_HyphenatedNonDroppingParticle2",
    "name_InTextMarkupInitialize", "name_LongAbbreviation", "name_LowercaseSurnameSuffix",
    "name_OnlyGivenname", "name_ParsedDroppingParticleWithApostrophe",
    "name_ParsedNonDroppingParticleWithApostrophe", "name_ParticlesDemoteNonDroppingNever",
    "name_namepartAffixes", "nameattr_EtAlUseFirstOnCitationInBibliography", "etal_UseZeroFirst",
    "magic_NameSuffixWithComma", "bugreports_ApostropheOnParticle",
    "sort_LeadingApostropheOnNameParticle", "decorations_AndTermUnaffectedByNameDecorations",
)


def _sample_outputs(style: str) -> dict:
    from exporter.citations import processor
    from exporter.engine import Engine

    golden = json.loads((GOLDEN / f"sample--{style}.json").read_text(encoding="utf-8"))
    path = Engine().plugins.styles.get(style).path
    records, ids = golden["records"], golden["ids"]
    bib = [f for f in processor.format_bibliography(records, path) if not f.omitted]
    notes = processor.format_citations(records, [(i, None) for i in ids] * 2, path, note=True)
    text = processor.format_citations(records, [(i, None) for i in ids], path, note=False)
    n = len(ids)
    ours = {"bibliography": bib, "note-first": notes[:n], "note-subsequent": notes[n:], "in-text": text}
    return {mode: (_compare_lines([f.html for f in rows], golden["html"][mode]),
                   _compare_lines([f.text for f in rows], golden["text"][mode]))
            for mode, rows in ours.items()}


@pytest.mark.parametrize("style", ["chicago-notes-bibliography", "apa", "modern-language-association"])
def test_goldens_render_through_the_renderer(style, monkeypatch):
    """Every name of the sample goes through the renderer, and the output is citeproc-js's."""
    from exporter.citations import compat, names

    compat.apply()
    assert compat.installed()["names"] is True
    assert names.INSTALLED
    calls = []
    original = names._render_one

    def counting(*args, **kwargs):
        calls.append(args[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(names, "_render_one", counting)
    from exporter.citations import processor

    processor.clear_caches()  # earlier tests' renders of the sample must not answer from a cache
    results = _sample_outputs(style)
    assert calls, "names did not render through the names renderer"
    for mode, ((html_ok, html_all, html_diff), (text_ok, text_all, text_diff)) in results.items():
        assert mode in MODES
        assert html_ok == html_all and not html_diff, "\n".join(html_diff[:5])
        assert text_ok == text_all and not text_diff, "\n".join(text_diff[:5])


@pytest.mark.parametrize("fixture", FIXTURES)
def test_suite_name_fixtures(fixture):
    outcome = csl_suite.run_fixture(csl_suite.SUITE / f"{fixture}.txt")
    assert outcome.passed, f"expected {outcome.expected!r}\n     got {outcome.got!r}"


_SWITCHED_OFF = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import csl_suite
import test_cite_names
from exporter.citations import compat, names
results = test_cite_names._sample_outputs("chicago-notes-bibliography")
fixture = csl_suite.run_fixture(csl_suite.SUITE / "name_HyphenatedNonDroppingParticle2.txt")
print(json.dumps({"installed": compat.installed(), "names_installed": names.INSTALLED,
                  "identical": all(h[0] == h[1] and t[0] == t[1] for h, t in results.values()),
                  "fixture": fixture.passed}))
"""


def test_switch_off_keeps_citeprocs_method():
    """``EXPORTER_CITE_NAMES=0``: citeproc-py's ``Name.process`` (with the other fidelity
    patches) renders names, particles are not joined, and the archive's goldens are still
    identical on that path."""
    env = dict(os.environ, EXPORTER_CITE_NAMES="0")
    tests = os.path.dirname(os.path.abspath(__file__))
    done = subprocess.run([sys.executable, "-c", _SWITCHED_OFF, tests], capture_output=True,
                          text=True, env=env, timeout=600, cwd=tests)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["installed"]["names"] is False and out["names_installed"] is False
    assert out["identical"]
    assert out["fixture"] is False  # "al-One" not read as a particle: sorted under "a"


@pytest.mark.parametrize(("fields", "parsed"), [
    ({"family": "al-One", "given": "Alan"},
     {"family": "One", "given": "Alan", "non-dropping-particle": "al-"}),
    ({"family": "d'Aubignac", "given": "François Hédelin"},
     {"family": "Aubignac", "given": "François Hédelin", "non-dropping-particle": "d'"}),
    ({"family": "Aubignac", "given": "François Hédelin d'"},
     {"family": "Aubignac", "given": "François Hédelin", "dropping-particle": "d'"}),
    ({"family": "van der Meer", "given": "Gerard"},
     {"family": "Meer", "given": "Gerard", "non-dropping-particle": "van der"}),
    ({"family": "Doe", "given": "John,! Jr."},
     {"family": "Doe", "given": "John", "suffix": "Jr.", "comma-suffix": True}),
    ({"family": "Doe", "given": "John, III"}, {"family": "Doe", "given": "John", "suffix": "III"}),
    ({"family": '"Van Dyke"', "given": "Anna"}, {"family": "Van Dyke", "given": "Anna"}),
    ({"family": "Smith-Jones", "given": "Ann"}, {"family": "Smith-Jones", "given": "Ann"}),
    ({"family": "Чернов", "given": "Виктор Михайлович"},
     {"family": "Чернов", "given": "Виктор Михайлович"}),
])
def test_particles_read_as_citeproc_js_reads_them(fields, parsed):
    from exporter.citations.names import parse_name

    name = dict(fields)
    parse_name(name)
    assert name == parsed


@pytest.mark.parametrize(("given", "terminator", "normalize", "expected"), [
    ("John Quincy", ". ", False, "J. Q."),
    ("Jean-Paul", ". ", False, "J.-P."),
    ("Guo-ping", "", False, "G"),
    ("TSerendorjiin", ".", False, "Ts."),
    ("John M.E.", " ", True, "John M E"),
    ("\ue002John\ue003 Quiggly", ". ", False, "\ue002J.\ue003 Q."),
    ("Виктор Михайлович", ". ", False, "В. М."),
])
def test_initials(given, terminator, normalize, expected):
    from exporter.citations.names import initialize_with

    assert initialize_with(given, terminator, normalize) == expected
