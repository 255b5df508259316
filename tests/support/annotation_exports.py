"""Independent readers for the annotation-export tests (helpers only; no project code).

Visibility rules recomputed from the raw JSON-LD files and ``archive.json``; the W3C test-suite
MUST assertions run with jsonschema over a local ``referencing`` registry (no network); CSV read
with :mod:`csv`; Markdown rendered by pandoc.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from datetime import datetime
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from conftest import VALIDATORS

WA = VALIDATORS / "web-annotation"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


# -- raw annotation files and the rules ---------------------------------------------------

def _flatten(data):
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item)
    elif isinstance(data, dict):
        kind = data.get("type")
        if kind == "AnnotationCollection":
            yield from _flatten(data.get("first", []))
        elif kind == "AnnotationPage":
            yield from _flatten(data.get("items", []))
        else:
            yield data


def raw_annotations(folder: Path) -> dict[str, dict]:
    """Every annotation in a corpus folder's JSON-LD files, by id."""
    files = sorted(folder.glob("*.jsonld")) + sorted((folder / "annotations").glob("*.jsonld"))
    out: dict[str, dict] = {}
    for f in files:
        for a in _flatten(json.loads(f.read_text(encoding="utf-8"))):
            out[a["id"]] = a
    return out


def creator_of(a: dict) -> str:
    c = a.get("creator")
    if isinstance(c, dict):
        return c.get("nickname") or c["id"].rstrip("/").rsplit("/", 1)[-1]
    return str(c or "").rstrip("/").rsplit("/", 1)[-1]


def bodies_of(a: dict) -> tuple[str, list[str]]:
    body = a.get("body", [])
    body = body if isinstance(body, list) else [body]
    texts = [b["value"] for b in body if isinstance(b, dict) and b.get("purpose") != "tagging"]
    tags = [b["value"] for b in body if isinstance(b, dict) and b.get("purpose") == "tagging"]
    return "\n\n".join(texts), tags


def allowed(raw: dict[str, dict], archive: dict, mode: str, user: str | None) -> set[str]:
    """What the rules let ``user`` receive: own private, own groups', public (``mine``: own only)."""
    groups = {g for g, spec in archive.get("groups", {}).items() if user in spec.get("members", [])}
    out = set()
    for ann_id, a in raw.items():
        vis = a.get("visibility", "private")
        ok = (vis == "public" or (vis == "private" and user is not None and creator_of(a) == user)
              or (vis == "group" and a.get("group") in groups))
        if ok and (mode == "visible" or creator_of(a) == user):
            out.add(ann_id)
    return out


# -- W3C MUST assertions --------------------------------------------------------------------

URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$")
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@lru_cache(maxsize=1)
def must_validators():
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    schemas = {}
    for path in list((WA / "definitions").glob("*.json")) + list((WA / "annotations").rglob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        schemas[path.relative_to(WA).as_posix()] = schema
    registry = Registry().with_resources(
        (s["id"], Resource.from_contents(s, default_specification=DRAFT4)) for s in schemas.values())
    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("uri")
    def is_uri(value) -> bool:
        return not isinstance(value, str) or bool(URI.match(value))

    @checker.checks("date-time")
    def is_date_time(value) -> bool:
        if not isinstance(value, str):
            return True
        if not DATE_TIME.match(value):
            return False
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    listing = json.loads((WA / "annotations" / "annotationMusts.test").read_text(encoding="utf-8"))
    out = []
    for name in listing["assertions"]:
        schema = schemas[name]
        out.append((name, jsonschema.Draft4Validator(schema, registry=registry, format_checker=checker)))
    assert len(out) == len(listing["assertions"]) > 40
    return out


def must_failures(annotation: dict) -> list[str]:
    """Names of the MUST assertions ``annotation`` fails (with the first error)."""
    bad = []
    for name, validator in must_validators():
        errors = list(validator.iter_errors(annotation))
        if errors:
            bad.append(f"{name}: {errors[0].message[:200]}")
    return bad


# -- CSV and Markdown --------------------------------------------------------------------------

def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def neutralised(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)

    def handle_data(self, data):
        self.chunks.append(data)


def markdown_html(md: str, flavour: str = "commonmark") -> str:
    done = subprocess.run(["pandoc", "-f", flavour, "-t", "html", "--wrap=none"], input=md.encode("utf-8"),
                          capture_output=True, timeout=60, check=True)
    return done.stdout.decode("utf-8")


def html_text(html: str) -> tuple[str, set[str]]:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.chunks), parser.tags


def squash(text: str) -> str:
    return " ".join(text.split())
