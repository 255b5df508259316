#!/usr/bin/env python3
"""Sanity checks for the sample corpus (counts, selectors, archive.json)."""
import collections
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canon
from lxml import etree

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
T = f"{{{canon.TEI}}}"
tree = etree.parse(os.path.join(ROOT, "src", "exporter", "sample", "dolgorukov-diaries-1918.xml"))
entries = tree.findall(f".//{T}div[@type='entry']")
ids = [e.get(canon.XML_ID) for e in entries]
assert len(ids) == len(set(ids))
dated = [e for e in entries if e.find(T + "docDate") is not None]
pages = collections.defaultdict(list)
one_layer, nopb = [], []
for e in entries:
    layers = e.findall(T + "div")
    if len(layers) == 1:
        one_layer.append(e.get(canon.XML_ID))
    for div in layers:
        pbs = [p.get("n") for p in div.iter(T + "pb")]
        pages[div.get("type")] += pbs
        if not pbs and len(layers) == 2:
            nopb.append((e.get(canon.XML_ID), div.get("type")))
for k, v in pages.items():
    nums = [int(x) for x in v]
    assert nums == sorted(nums) and len(set(nums)) == len(nums), k
notes = [n for n in tree.iter(T + "note") if n.get("type") != "meta" and n.getparent().tag != T + "notesStmt"]
assert [int(n.get("n")) for n in notes] == list(range(1, len(notes) + 1))
assert len({n.get(canon.XML_ID) for n in notes}) == len(notes)
xmlids = [x.get(canon.XML_ID) for x in tree.iter() if x.get(canon.XML_ID)]
assert len(xmlids) == len(set(xmlids))
heads = [e.findtext(T + "head") for e in entries]
print("entries", len(entries), "dated", len(dated), "undated", len(entries) - len(dated))
print("cert=low", [d.get("when") for d in tree.iter(T + "docDate") if d.get("cert")],
      "month-precision", [d.get("when") for d in tree.iter(T + "docDate") if len(d.get("when")) == 7])
print("pages", {k: (len(v), v[0], v[-1]) for k, v in pages.items()})
print("facs pbs", sum(1 for p in tree.iter(T + "pb") if p.get("facs")))
print("notes", len(notes), "in head", sum(1 for n in notes if n.getparent().tag == T + "head"),
      "with hi", sum(1 for n in notes if n.find(T + "hi") is not None))
print("single-layer", one_layer, "no-pb layer", nopb)
print("same-day heads", [h for h in heads if h and "(" in h])
print("quote blocks", len(list(tree.iter(T + "quote"))), "signed", len(list(tree.iter(T + "signed"))))

layers = canon.load_layers(os.path.join(ROOT, "src", "exporter", "sample", "dolgorukov-diaries-1918.xml"))
archive = json.load(open(os.path.join(ROOT, "src", "exporter", "sample", "archive.json"), encoding="utf-8"))
anns = []
for fn in sorted(glob.glob(os.path.join(ROOT, "src", "exporter", "sample", "annotations", "*.jsonld"))):
    anns += json.load(open(fn, encoding="utf-8"))
vis = collections.Counter()
for a in anns:
    src = a["target"]["source"]
    vol, eid, layer = src.rsplit("/", 2)
    text = layers[(eid, layer)]
    q, p = a["target"]["selector"]
    assert text[p["start"]:p["end"]] == q["exact"], a["id"]
    assert q["prefix"] == text[max(0, p["start"] - 32):p["start"]] and q["suffix"] == text[p["end"]:p["end"] + 32], a["id"]
    nick = a["creator"]["nickname"]
    assert nick in archive["users"]
    if a["visibility"] == "group":
        assert nick in archive["groups"][a["group"]]["members"], a["id"]
    vis[(nick, a["visibility"])] += 1
for f in archive["folders"]:
    assert ("owner" in f) != ("group" in f) and 3 <= len(f["entries"]) <= 8
    assert all(e in ids for e in f["entries"]), f["name"]
print("annotations", len(anns), "users", len({a["creator"]["nickname"] for a in anns}),
      "groups", len({a.get("group") for a in anns if a.get("group")}),
      "visibilities", collections.Counter(a["visibility"] for a in anns))
print("per user/visibility", dict(vis))
print("transcription-layer annotations", sum(1 for a in anns if a["target"]["source"].endswith("transcription")))
print("OK")
