"""Benchmark: 100,000 synthetic entries through ``ris``, ``bibtex``, ``biblatex`` and ``csl-json``.

Building the entries is excluded from the timings.  Each writer streams into a sink that only
counts bytes.  The reference, measured in the same run, is plain line writing of the same
fields (one ``value\\n`` line per field, joined and encoded per chunk, no tags, no escaping);
``mapping-only`` (``entry_to_csl`` per entry, nothing written) is timed for information.
Peak memory is measured in a fresh subprocess per format, with entries generated lazily (so
the figure is the writer's, not the entry list's): tracemalloc's peak and the process's
maximum resident set size.

    .venv/bin/python bench/bench_references.py [--entries 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from exporter.model import Entry, EntryDate, Layer, Person, Volume

VOLUME = Volume(id="frus1918Russiav03", title="Papers Relating to the Foreign Relations of the United States, "
                "1918, Russia, Volume III", editors=[Person(family="Kennan", given="George F.")],
                publisher="United States Government Printing Office", place="Washington", year="1932",
                series="Papers Relating to the Foreign Relations of the United States, 1918",
                series_number="Volume III", languages=["en"],
                base_url="https://history.state.gov/historicaldocuments/frus1918Russiav03")
PEOPLE = [Person(literal="Secretary of State"), Person(literal="Acting Secretary of State")] + [
    Person(family=f, given=g) for f, g in (("Francis", "David R."), ("Summers", "Maddin"), ("Poole", "DeWitt C."),
                                           ("Долгоруков", "Константин"), ("Lansing", "Robert"),
                                           ("Morris", "Roland S."), ("Caldwell", "John K."), ("Bakhmeteff", "Boris"))]
GENRES = [("telegram", "Telegram"), ("telegram", "Telegram"), ("letter", "Letter"), ("diary", "Diary entry"),
          ("memorandum", "Memorandum")]
PLACES = ["Petrograd", "Washington", "Vologda", "Tokyo", "Archangel"]
TITLES = ["The {a} to the {b}", "The {a} to the {b} — Extract", "Запись в дневнике: {a}",
          "Memorandum by the {a} on the situation in Petrograd"]


class Sink:
    """A binary stream that keeps only the byte count."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


def make_entry(i: int) -> Entry:
    a, b = PEOPLE[i % len(PEOPLE)], PEOPLE[(i * 7 + 3) % len(PEOPLE)]
    genre, kind = GENRES[i % len(GENRES)]
    page = str(1 + i // 3)
    return Entry(
        id=f"d{i}", local_id=f"d{i}", volume=VOLUME, heading=[],
        title=TITLES[i % len(TITLES)].format(a=a.display, b=b.display),
        kind=kind, genre=genre, number=str(i + 1),
        date=EntryDate(1917 + i % 3, 1 + i % 12, 1 + i % 28, approximate=i % 17 == 0),
        place=PLACES[i % len(PLACES)], authors=[a], recipients=[b] if genre != "diary" else [],
        repository="National Archives, RG 59" if i % 4 == 0 else None,
        archival_id=f"File No. 861.00/{1000 + i}",
        description="Summary of the situation; requests instructions." if i % 3 == 0 else None,
        language="ru" if i % 10 == 0 else None,
        layers={"text": Layer("text", "en", [], [page, str(int(page) + 1)] if i % 2 else [page])},
    )


def writers():
    from exporter.formats.references.biblatex import write_biblatex
    from exporter.formats.references.bibtex import write_bibtex
    from exporter.formats.references.csl_json import write_csl_json
    from exporter.formats.references.ris import write_ris

    return {"ris": write_ris, "bibtex": write_bibtex, "biblatex": write_biblatex,
            "csl-json": write_csl_json, "plain-lines": plain_lines,
            "mapping-only": mapping_only}


FORMATS = ("ris", "bibtex", "biblatex", "csl-json")


def mapping_only(entries, out) -> int:
    """For information: entry_to_csl for every entry, nothing written (why the writers call it
    once per volume rather than once per entry)."""
    from exporter.csl import entry_to_csl

    for e in entries:
        entry_to_csl(e)
    return len(entries)


def plain_lines(entries, out) -> int:
    """The reference: the same fields, one line each, no tags and no escaping."""
    buf: list[str] = []
    lines = 0
    for e in entries:
        fields = [e.qualified_id, e.title, *(p.display for p in e.authors), *(p.display for p in e.recipients),
                  e.date.iso or "", e.kind or "", e.number or "", e.page_range or "", e.language or "",
                  e.repository or "", e.archival_id or "", e.iri, e.description or "", e.place or ""]
        buf.append("\n".join(fields) + "\n")
        lines += len(fields)
        if len(buf) >= 512:
            out.write("".join(buf).encode("utf-8"))
            buf.clear()
    out.write("".join(buf).encode("utf-8"))
    plain_lines.lines = lines
    return len(entries)


def memory_child(fmt: str, n: int) -> None:
    import tracemalloc

    write = writers()[fmt]
    base = peak_rss_mb()
    write((make_entry(i) for i in range(n)), Sink())  # untraced: the process's peak RSS
    after = peak_rss_mb()
    tracemalloc.start()
    write((make_entry(i) for i in range(n // 10)), Sink())  # traced (10x slower): Python allocations
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(json.dumps({"tracemalloc_peak_mb": peak / 2**20, "maxrss_mb": after, "maxrss_before_mb": base}))


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM: unlike ru_maxrss it does not inherit the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.entries)
        return
    n = args.entries
    memory = {}
    for fmt in FORMATS:  # first: a child forked from a big parent starts big
        proc = subprocess.run([sys.executable, __file__, "--memory-child", fmt, "--entries", str(n)],
                              capture_output=True, text=True, check=True)
        memory[fmt] = json.loads(proc.stdout)
    t = time.perf_counter()
    entries = [make_entry(i) for i in range(n)]
    print(f"built {n:,} synthetic entries in {time.perf_counter() - t:.2f} s (not timed below)")
    # Formats take turns within each run, so that load from other processes hits them alike;
    # the ratios are taken per run against the reference timed in the same run.
    times: dict[str, list[float]] = {fmt: [] for fmt in writers()}
    sizes: dict[str, int] = {}
    for _ in range(args.runs):
        for fmt, write in writers().items():
            sink = Sink()
            t = time.perf_counter()
            write(entries, sink)
            times[fmt].append(time.perf_counter() - t)
            sizes[fmt] = sink.size
    for fmt, runs in times.items():
        med = statistics.median(runs)
        extra = f", {plain_lines.lines / med:,.0f} lines/s" if fmt == "plain-lines" else ""
        print(f"{fmt:12s} median {med:.3f} s  {n / med:>10,.0f} entries/s{extra}  ({sizes[fmt] / n:.0f} bytes/entry, "
              f"runs {', '.join(f'{x:.3f}' for x in runs)})")
    ref = times["plain-lines"]
    for fmt in FORMATS:
        target = 100_000 if fmt == "csl-json" else 200_000
        rate = n / statistics.median(times[fmt])
        ratio = statistics.median(r / t for r, t in zip(ref, times[fmt]))
        print(f"{fmt:12s} {ratio:.2f}x plain line writing (median of per-run ratios); target {target:,}/s: "
              f"{'met' if rate >= target else 'MISSED'}")
    for fmt, m in memory.items():
        print(f"{fmt:12s} memory ({n:,} lazily built entries, fresh process): peak RSS {m['maxrss_mb']:.0f} MB "
              f"(before writing {m['maxrss_before_mb']:.0f} MB), tracemalloc peak over {n // 10:,} entries "
              f"{m['tracemalloc_peak_mb']:.1f} MB; target <= 150 MB")


if __name__ == "__main__":
    main()
