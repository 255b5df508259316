"""Citations: multi-item citations (clusters) through the engine API and ``exporter cite
--cluster``."""

from __future__ import annotations


def _cli_lines(cli, *args):
    res = cli("cite", *args)
    assert res.returncode == 0, res.stderr
    return res.stdout.decode().splitlines()


def test_cluster_sorts_groups_and_collapses_in_text(cli):
    """APA sorts the cites of a citation by author and date, and collapses the same author's
    years (collapse="year"): "(Dolgorukov, 1918a, 1918b)"; FRUS authors differ: joined by "; "."""
    both = _cli_lines(cli, "--cluster", "kd1-1918-02-19,kd1-1918-01-08", "--style", "apa", "--mode", "in-text")
    assert both == ["(Dolgorukov, 1918a, 1918b)"]
    # an entry whose style output falls back to other names is still cut to its year
    edited = _cli_lines(cli, "--cluster", "kd1-1918-03-06,kd1-1918-03-10", "--style", "chicago-author-date",
                        "--mode", "in-text")
    assert edited == ["(Dolgorukov 1918a, 1918b)"]
    from conftest import FRUS

    two = _cli_lines(cli, "--corpus", str(FRUS), "--cluster", "d6,d3", "--style", "apa", "--mode", "in-text")
    assert len(two) == 1 and two[0].count("; ") == 1 and two[0].startswith("(")


def test_clusters_are_consecutive_notes_with_ibid(cli):
    lines = _cli_lines(cli, "--cluster", "kd1-1918-01-03,kd1-1918-01-08;kd1-1918-01-08@5;kd1-1918-01-08@5;"
                       "kd1-1918-01-08@7", "--style", "archival-documents", "--mode", "note")
    assert len(lines) == 4
    first, subsequent, ibid, ibid_loc = lines
    assert "; " in first and first.count("“") == 2
    assert not subsequent.startswith("Ibid")  # the note before held two cites
    assert ibid.startswith("Ibid.") and ibid_loc.startswith("Ibid.") and "7" in ibid_loc


def test_cluster_api_matches_single_citations(engine, sample):
    """A cluster of one cite prints what the single-citation path prints, in every mode."""
    from exporter.citations import Cite, cite_clusters, cite_entries

    entries = sample.entries[:8]
    for name in ("chicago-notes-bibliography", "apa", "archival-documents"):
        style = engine.style(name)
        for note in (True, False):
            single = cite_entries(entries, style, "note" if note else "in-text")
            clusters = cite_clusters([[Cite(e)] for e in entries], style, note=note)
            assert [c.text for c in clusters] == [s.text for s in single], name


def test_cluster_usage_errors(cli):
    res = cli("cite", "--cluster", "kd1-1918-01-03;;", "--style", "apa", "--mode", "note")
    assert res.returncode == 2 and b"--cluster: empty entry id" in res.stderr and res.stdout == b""
    res = cli("cite", "--cluster", "kd1-1918-03-06@", "--style", "apa", "--mode", "in-text")
    assert res.returncode == 2 and b"--cluster: empty locator after 'kd1-1918-03-06@'" in res.stderr
    assert res.stdout == b""
    res = cli("cite", "--cluster", "kd1-1918-01-03", "--all", "--style", "apa")
    assert res.returncode == 2 and b"either --cluster or a selection" in res.stderr
    res = cli("cite", "--cluster", "nope-1", "--style", "apa", "--mode", "note")
    assert res.returncode == 4 and b"unknown entry id 'nope-1'" in res.stderr


def test_cluster_bibliography_lists_each_entry_once(cli):
    lines = _cli_lines(cli, "--cluster", "kd1-1918-01-03,kd1-1918-01-08;kd1-1918-01-03", "--style",
                       "chicago-notes-bibliography", "--mode", "bibliography")
    assert len(lines) == 2


def test_label_typed_in_a_locator_is_its_label(cli):
    """"fol. 186" is the folio label and its number, as citeproc-js reads a locator that starts
    with a label (not "p. fol. 186"); a plain number stays a page."""
    folio, volume, page = _cli_lines(cli, "--cluster", "kd1-1918-01-03@fol. 186;kd1-1918-01-08@vol. 2;"
                                     "kd1-1918-02-19@12", "--style", "chicago-notes-bibliography",
                                     "--mode", "note")
    assert ", fol. 186, " in folio and "p. fol." not in folio
    assert "), vol. 2, f. R-9137" in volume and "p. vol." not in volume
    assert ", p. 12, " in page
