"""Who may receive which annotation.

* ``private`` -- only its creator;
* ``group`` -- members of its group;
* ``public`` -- everyone, including anonymous readers.

An annotation a moderator has hidden reaches only its creator and the moderators (still
within the rules above).

Modes: ``none`` (no annotations), ``mine`` (everything the user created), ``visible`` (the
user's own, their groups' and public ones; anonymous readers get the public ones).
"""

from __future__ import annotations

from typing import Protocol

from ..errors import UsageError
from ..model import Annotation, Corpus

MODES = ("none", "mine", "visible")


def user_groups(corpus: Corpus, user: str | None) -> set[str]:
    if not user:
        return set()
    return {g.name for g in corpus.groups.values() if user in g.members}


class Visible(Protocol):
    """What :func:`may_see` reads of an annotation: a model one, or one a store holds."""

    @property
    def hidden(self) -> bool: ...
    @property
    def creator(self) -> str: ...
    @property
    def visibility(self) -> str: ...
    @property
    def group(self) -> str | None: ...


def may_see(ann: Visible, user: str | None, groups: set[str], moderator: bool = False) -> bool:
    """Whether ``user`` (``None``: anonymous), a member of ``groups``, may receive ``ann``."""
    if ann.hidden and not moderator and not (user and ann.creator == user):
        return False
    if ann.visibility == "public":
        return True
    if ann.visibility == "private":
        return bool(user) and ann.creator == user
    if ann.visibility == "group":
        return ann.group in groups
    return False


def select_annotations(corpus: Corpus, mode: str, user: str | None,
                       tags: list[str] | None = None, creators: list[str] | None = None) -> list[Annotation]:
    """Annotations ``user`` may receive under ``mode``, narrowed by tags and creators."""
    found = _allowed(corpus, mode, user)
    if tags:
        wanted = set(tags)
        found = [a for a in found if wanted.intersection(a.tags)]
    if creators:
        who = set(creators)
        found = [a for a in found if a.creator in who]
    return found


def _allowed(corpus: Corpus, mode: str, user: str | None) -> list[Annotation]:
    if mode not in MODES:
        raise UsageError(f"--annotations {mode!r}: expected one of {', '.join(MODES)}")
    if mode == "none":
        return []
    if user is not None and corpus.users and user not in corpus.users:
        raise UsageError(f"unknown user '{user}'; known users: {', '.join(sorted(corpus.users))}")
    if mode == "mine":
        if not user:
            raise UsageError("--annotations mine needs --user")
        groups = user_groups(corpus, user)
        return [a for a in corpus.annotations if a.creator == user and may_see(a, user, groups)]
    groups = user_groups(corpus, user)
    moderator = bool(user) and user in corpus.moderators
    return [a for a in corpus.annotations if may_see(a, user, groups, moderator)]


def visible_warnings(corpus: Corpus, user: str | None) -> list[str]:
    """The corpus's load warnings that ``user`` may read.

    A warning about one annotation (it failed its schema, names an unknown target, or its id is
    repeated) is shown only to readers who may see that annotation, so no reader learns the
    ids of another reader's private or group annotations.
    """
    groups = user_groups(corpus, user)
    shown = list(corpus.warnings)
    for (creator, visibility, group), message in corpus.owned_warnings:
        if may_see(Annotation(id="", entry_id="", layer="", exact="", prefix="", suffix="", body="",
                              creator=creator, visibility=visibility, group=group), user, groups):
            shown.append(message)
    return shown
