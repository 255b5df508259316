"""Cite positions across the citations of a document, as citeproc-js assigns them.

Each citation has a note number (``noteIndex``: 0 for a citation in the running text, else the
footnote that holds it).  citeproc-js evaluates the citations in the text and those in notes
as two separate sequences; within each, a cite is

* ``first`` the first time its item is cited;
* ``ibid`` / ``ibid-with-locator`` when it repeats the cite right before it: the cite before it
  in the same citation, or, for the first cite of a citation, the previous citation when that
  is in the note right before (or the same note number, or the text) and is the only cite of
  its note; in the same note, the last cite of the previous citation;
* ``subsequent`` otherwise, and when the cite before had a locator and this one has none.

``near-note``: not first, and at most ``near-note-distance`` notes after the item's last cite
(always, in the text).  ``first-reference-note-number``: the note of the item's first cite,
when it is another note.  Note numbers that go back (a new chapter restarting at 1) restart
the bookkeeping, as in citeproc-js.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .fidelity import FIRST, IBID, IBID_LOC, SUBSEQUENT

#: One cite as positions see it: (item id, locator or None, locator label or None).
Cite = tuple[str, "str | None", "str | None"]


@dataclass(frozen=True)
class Position:
    """The position of one cite, and the note facts that go with it."""

    position: str
    near: bool
    first_note: int  # first-reference-note-number; 0 when none (first cite, or the same note)


def _locator(cite: Cite) -> str | None:
    _rid, loc, label = cite
    return f"{loc}{label or ''}" if loc else None


def cluster_positions(clusters: Sequence[Sequence[Cite]], notes: Sequence[int],
                      near_note_distance: int = 5) -> list[list[Position]]:
    """A :class:`Position` per cite of every citation (each already sorted as the style sorts
    its cites), the citations in document order with their note numbers ``notes``."""
    out: list[list[Position] | None] = [None] * len(clusters)
    in_note: dict[int, int] = {}
    text = [n for n in range(len(clusters)) if not notes[n]]
    noted = [n for n in range(len(clusters)) if notes[n]]
    for sequence in (text, noted):
        first_ref: dict[str, int] = {}
        last_ref: dict[str, int] = {}
        for j, n in enumerate(sequence):
            cluster, note = clusters[n], notes[n]
            prev = sequence[j - 1] if j else None
            if prev is not None and note and notes[prev] > note:
                first_ref, last_ref, in_note = {}, {}, {}
            in_note[note] = in_note.get(note, 0) + len(cluster)
            here: list[Position] = []
            for k, cite in enumerate(cluster):
                rid = cite[0]
                first_note = 0
                if rid not in last_ref:
                    first_ref[rid] = last_ref[rid] = note
                    pos = FIRST
                else:
                    ibid = False
                    before: Cite | None = None
                    if prev is not None and k == 0 and notes[prev] != note:
                        earlier = clusters[prev]
                        if (earlier and earlier[0][0] == rid and notes[prev] >= note - 1
                                and (in_note.get(notes[prev]) == 1 or notes[prev] == 0)):
                            ibid, before = True, earlier[0]
                    elif k > 0 and cluster[k - 1][0] == rid:
                        ibid, before = True, cluster[k - 1]
                    elif (k == 0 and prev is not None and notes[prev] == note and clusters[prev]
                          and clusters[prev][-1][0] == rid):
                        # citeproc-js compares the previous citation's first cite's locator here
                        ibid, before = True, clusters[prev][0]
                    pos = SUBSEQUENT
                    if ibid and before is not None:
                        theirs, mine = _locator(before), _locator(cite)
                        if not theirs:
                            pos = IBID_LOC if mine else IBID
                        elif mine == theirs:
                            pos = IBID
                        elif mine:
                            pos = IBID_LOC
                    if first_ref[rid] != note:
                        first_note = first_ref[rid]
                if note:
                    near = pos != FIRST and note - last_ref[rid] <= near_note_distance
                    last_ref[rid] = note
                else:
                    near = pos != FIRST
                here.append(Position(pos, near, first_note))
            out[n] = here
    return [p or [] for p in out]
