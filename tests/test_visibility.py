"""Visibility rules for every user (and anonymous) of the sample, computed independently."""

from __future__ import annotations

import json

import pytest

from conftest import SAMPLE
from exporter.engine import ExportRequest
from exporter.errors import UsageError


def raw():
    anns = []
    for path in sorted((SAMPLE / "annotations").glob("*.jsonld")):
        anns.extend(json.loads(path.read_text()))
    archive = json.loads((SAMPLE / "archive.json").read_text())
    return anns, archive


def expected(user, mode):
    anns, archive = raw()
    groups = {g for g, v in archive["groups"].items() if user in v["members"]}
    out = set()
    for a in anns:
        nick = a["creator"]["nickname"]
        allowed = (a["visibility"] == "public" or (a["visibility"] == "private" and nick == user)
                   or (a["visibility"] == "group" and a["group"] in groups))
        if allowed and (mode == "visible" or nick == user):
            out.add(a["id"])
    return out


USERS = ["irina", "tomas", "leila", "dmitri"]


@pytest.mark.parametrize("user", USERS + [None])
@pytest.mark.parametrize("mode", ["visible", "mine"])
def test_matrix(engine, user, mode):
    if mode == "mine" and user is None:
        with pytest.raises(UsageError, match="needs --user"):
            engine.assemble(ExportRequest(format="json", all=True, user=None, annotations=mode))
        return
    doc = engine.assemble(ExportRequest(format="json", all=True, user=user, annotations=mode))
    got = {a.id for a in doc.annotations}
    assert got == expected(user, mode)
    anns, _ = raw()
    private_of_others = {a["id"] for a in anns if a["visibility"] == "private" and a["creator"]["nickname"] != user}
    assert not got & private_of_others


def test_group_annotations_only_for_members(engine):
    doc = engine.assemble(ExportRequest(format="json", all=True, user="dmitri", annotations="visible"))
    assert "petrograd-seminar" not in {a.group for a in doc.annotations}
    doc = engine.assemble(ExportRequest(format="json", all=True, user="leila", annotations="visible"))
    assert "sources-reading-group" not in {a.group for a in doc.annotations}


def test_none_mode_and_unknown_user(engine):
    doc = engine.assemble(ExportRequest(format="json", all=True, user="irina", annotations="none"))
    assert doc.annotations == []
    with pytest.raises(UsageError, match="unknown user 'mallory'"):
        engine.assemble(ExportRequest(format="json", all=True, user="mallory", annotations="visible"))


def test_tag_and_creator_filters(engine):
    doc = engine.assemble(ExportRequest(format="json", all=True, user="tomas", annotations="visible",
                                        tags=["brest-litovsk"], creators=["irina"]))
    assert doc.annotations
    assert all("brest-litovsk" in a.tags and a.creator == "irina" for a in doc.annotations)
