"""The engine's cache of corpora read from files: fresh after a change, bounded in size."""

from __future__ import annotations

import os
import shutil

from exporter import engine as engine_module
from exporter.engine import Engine


def _copy(sample_path, target):
    shutil.copytree(sample_path, target)
    return target


def test_unchanged_corpus_is_read_once(tmp_path, sample_path):
    corpus = _copy(sample_path, tmp_path / "c")
    engine = Engine()
    assert engine.load(corpus) is engine.load(corpus)


def test_changed_corpus_replaces_its_old_reading(tmp_path, sample_path):
    corpus = _copy(sample_path, tmp_path / "c")
    engine = Engine()
    first = engine.load(corpus)
    volume = next(corpus.glob("*.xml"))
    text = volume.read_text(encoding="utf-8")
    volume.write_text(text.replace("Dolgorukov", "Dolgorukow", 1), encoding="utf-8")
    later = os.stat(volume).st_mtime + 5
    os.utime(volume, (later, later))
    second = engine.load(corpus)
    assert second is not first
    assert len(engine._corpora) == 1  # the old reading is not kept beside the new one


def test_only_the_most_recent_corpora_are_kept(tmp_path, sample_path, monkeypatch):
    monkeypatch.setattr(engine_module, "MAX_CORPORA", 2)
    a, b, c = (_copy(sample_path, tmp_path / name) for name in "abc")
    engine = Engine()
    kept_a = engine.load(a)
    engine.load(b)
    assert engine.load(a) is kept_a  # used again: now the most recent
    engine.load(c)  # b goes, the least recently used
    assert len(engine._corpora) == 2
    assert engine.load(a) is kept_a
    assert str(b.resolve()) not in engine._corpora


def test_store_reading_follows_a_changed_corpus(tmp_path, sample_path):
    """With a store, a changed corpus file is not answered from the reading of the old one."""
    from exporter.store import Store

    corpus = _copy(sample_path, tmp_path / "c")
    store = Store(str(tmp_path / "store.db"))
    store.init()
    engine = Engine(store=store)
    first = engine.load(corpus)
    volume = next(corpus.glob("*.xml"))
    volume.write_text(volume.read_text(encoding="utf-8").replace("Dolgorukov", "Dolgorukow", 1), encoding="utf-8")
    later = os.stat(volume).st_mtime + 5
    os.utime(volume, (later, later))
    assert engine.load(corpus) is not first
