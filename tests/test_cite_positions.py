"""Cite positions across citations with note numbers, as citeproc-js 2.4.63 assigns them (the
CSL suite's position and integration fixtures hold the expected citations)."""

from exporter.citations.fidelity_citation_label import trigraph
from exporter.citations.positions import cluster_positions


def _pos(clusters, notes, distance=5):
    return [[(p.position, p.near, p.first_note) for p in c] for c in cluster_positions(clusters, notes, distance)]


def test_first_reference_note_number_and_subsequent():
    a, b = ("A", None, None), ("B", None, None)
    assert _pos([[a], [b], [a], [b]], [1, 2, 3, 4]) == [
        [("first", False, 0)], [("first", False, 0)],
        [("subsequent", True, 1)], [("subsequent", True, 2)]]


def test_ibid_needs_the_previous_note_to_hold_that_one_cite():
    a, b = ("A", None, None), ("B", None, None)
    # the previous note cites A and B: the next A is subsequent, not ibid
    assert _pos([[a, b], [a]], [1, 2])[1] == [("subsequent", True, 1)]
    # two citations in one note: after B's citation, B again is ibid (its first note: no number)
    assert _pos([[a], [b], [b]], [1, 2, 2])[2] == [("ibid", True, 0)]


def test_text_and_notes_are_separate_sequences():
    a, b = ("A", None, None), ("B", None, None)
    # a footnote between two citations in the running text does not break ibid
    out = _pos([[a], [b], [a]], [0, 1, 0])
    assert out[2] == [("ibid", True, 0)]


def test_note_numbers_going_back_restart():
    a = ("A", None, None)
    assert _pos([[a], [a]], [2, 1])[1][0][0] == "first"


def test_locators_decide_ibid_with_locator():
    assert [p[0] for c in _pos([[("A", "1", "page")], [("A", "2", "page")], [("A", None, None)]],
                                [1, 2, 3]) for p in c] == ["first", "ibid-with-locator", "subsequent"]


def test_near_note_distance():
    a, b = ("A", None, None), ("B", None, None)
    assert _pos([[a], [b], [a]], [1, 2, 3], distance=0)[2] == [("subsequent", False, 1)]


def test_trigraph_labels():
    from exporter.citations import driver

    def label(names, year=2000):
        rec = {"id": "x", "type": "book", "author": [{"family": f, "given": "A"} for f in names],
               "issued": {"date-parts": [[year]]}}
        return trigraph(driver.parse_record(rec))

    assert label(["Asthma"]) == "Asth00"
    assert label(["Bronchitis", "Cholera"], 1998) == "BrCh98"
    assert label(["von Dipheria", "Eczema", "Flatulence", "Goiter", "Hiccups"], 1926) == "DEFG26"
