"""Checking reader-supplied JSON against the project's JSON Schemas (``exporter/schemas``).

The schemas are the contract (and documentation) for annotation files and ``archive.json``.
They are checked here by a small validator for the subset of JSON Schema 2020-12 they use, so
that loading a corpus does not import ``jsonschema`` (about 150 ms); the test suite checks that
this validator and ``jsonschema`` agree on generated documents.  Data reaching it comes from
:mod:`exporter.sources.safejson`, so it is bounded in size and depth and the recursion here is
bounded too.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any, Callable

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


class SchemaError(ValueError):
    """``str()`` is a one-line reason naming where in the document the problem is."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path or 'the document'}: {reason}")
        self.path = path
        self.reason = reason


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict:
    """One of the shipped schemas by file stem (``annotation``, ``annotation-file``, ``archive``)."""
    text = resources.files("exporter.schemas").joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def validate(data: Any, schema: dict | str) -> None:
    """Raise :class:`SchemaError` (first problem found) unless ``data`` matches ``schema``.

    A compiled yes/no check runs first (a few microseconds for an annotation); only a document
    that fails it is walked again to say where and why.
    """
    if isinstance(schema, str):
        root = load_schema(schema)
        ok = _compiled(schema)(data)
    else:
        root = schema
        ok = _compile(root, root, {})(data)
    if ok:
        return
    problem = _check(data, root, root, "")
    if problem is None:  # pragma: no cover -- the two checks implement the same keywords
        problem = SchemaError("", "does not match the schema")
    raise problem


@lru_cache(maxsize=None)
def _compiled(name: str) -> Callable[[Any], bool]:
    root = load_schema(name)
    return _compile(root, root, {})


def _compile(schema: dict, root: dict, refs: dict[str, Callable[[Any], bool]]) -> Callable[[Any], bool]:
    """A function telling whether a value matches ``schema`` (the keywords :func:`_check` knows)."""
    tests: list[Callable[[Any], bool]] = []
    if "$ref" in schema:
        ref = schema["$ref"]
        if ref not in refs:  # the shipped schemas are not recursive: compile each target once
            refs[ref] = _compile(_resolve(ref, root), root, refs)
        tests.append(refs[ref])
    lo_len, hi_len, pattern = schema.get("minLength", 0), schema.get("maxLength"), schema.get("pattern")
    if schema.get("type") == "string" and not pattern:
        # The common case, fused: a string of bounded length.
        s_lo, s_hi = lo_len, hi_len
        if s_hi is None:
            tests.append(lambda v: isinstance(v, str) and len(v) >= s_lo)
        else:
            tests.append(lambda v: isinstance(v, str) and s_lo <= len(v) <= s_hi)
        lo_len, hi_len = 0, None  # checked above
    elif "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        checks = [_TYPES[k] for k in kinds]
        tests.append(checks[0] if len(checks) == 1 else (lambda v: any(c(v) for c in checks)))
    if "const" in schema:
        const = schema["const"]
        tests.append(lambda v: _equal(v, const))
    if "enum" in schema:
        options = schema["enum"]
        tests.append(lambda v: any(_equal(v, e) for e in options))
    if lo_len or hi_len is not None or pattern:
        rx = re.compile(pattern) if pattern else None
        tests.append(lambda v: not isinstance(v, str) or (
            len(v) >= lo_len and (hi_len is None or len(v) <= hi_len) and (rx is None or rx.search(v) is not None)))
    if "minimum" in schema or "maximum" in schema:
        lo, hi = schema.get("minimum"), schema.get("maximum")
        tests.append(lambda v: isinstance(v, bool) or not isinstance(v, (int, float)) or (
            (lo is None or v >= lo) and (hi is None or v <= hi)))
    if {"minItems", "maxItems", "items"} & schema.keys():
        lo_n, hi_n = schema.get("minItems", 0), schema.get("maxItems")
        each = _compile(schema["items"], root, refs) if "items" in schema else None
        tests.append(lambda v: not isinstance(v, list) or (
            len(v) >= lo_n and (hi_n is None or len(v) <= hi_n) and (each is None or all(map(each, v)))))
    if {"required", "maxProperties", "properties", "additionalProperties", "propertyNames"} & schema.keys():
        required = tuple(schema.get("required", ()))
        hi_p = schema.get("maxProperties")
        props = {k: _compile(sub, root, refs) for k, sub in schema.get("properties", {}).items()}
        extra = schema.get("additionalProperties", True)
        extra_f = _compile(extra, root, refs) if isinstance(extra, dict) else None
        names = _compile(schema["propertyNames"], root, refs) if "propertyNames" in schema else None

        def obj(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for k in required:
                if k not in v:
                    return False
            if hi_p is not None and len(v) > hi_p:
                return False
            for k, item in v.items():
                if names is not None and not names(k):
                    return False
                f = props.get(k)
                if f is not None:
                    if not f(item):
                        return False
                elif extra is False or (extra_f is not None and not extra_f(item)):
                    return False
            return True
        tests.append(obj)
    for sub in schema.get("allOf", ()):
        tests.append(_compile(sub, root, refs))
    if "anyOf" in schema:
        options_f = [_compile(sub, root, refs) for sub in schema["anyOf"]]
        if len(options_f) == 2:
            first, second = options_f
            tests.append(lambda v: first(v) or second(v))
        else:
            tests.append(lambda v: any(f(v) for f in options_f))
    if "not" in schema:
        negated = _compile(schema["not"], root, refs)
        tests.append(lambda v: not negated(v))
    if "if" in schema:
        cond = _compile(schema["if"], root, refs)
        then = _compile(schema["then"], root, refs) if "then" in schema else None
        tests.append(lambda v: then is None or not cond(v) or then(v))
    return _all_of(tests)


def _all_of(tests: list[Callable[[Any], bool]]) -> Callable[[Any], bool]:
    """One function for "every test passes", without a generator per call."""
    if not tests:
        return lambda v: True
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda v: a(v) and b(v)
    head, rest = tests[0], _all_of(tests[1:])
    return lambda v: head(v) and rest(v)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", int: "an integer",
            float: "a number"}.get(type(value), type(value).__name__)


def _resolve(ref: str, root: dict) -> dict:
    if not ref.startswith("#/"):
        raise ValueError(f"unsupported $ref {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _at(path: str, key: str | int) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))


def _check(value: Any, schema: dict, root: dict, path: str) -> SchemaError | None:
    if "$ref" in schema:
        problem = _check(value, _resolve(schema["$ref"], root), root, path)
        if problem is not None:
            return problem
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_TYPES[k](value) for k in kinds):
            return SchemaError(path, f"expected {' or '.join(kinds)}, found {_describe(value)}")
    if "const" in schema and not _equal(value, schema["const"]):
        return SchemaError(path, f"expected {json.dumps(schema['const'])}")
    if "enum" in schema and not any(_equal(value, e) for e in schema["enum"]):
        shown = ", ".join(json.dumps(e) for e in schema["enum"])
        return SchemaError(path, f"expected one of {shown}, found {_short(value)}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            return SchemaError(path, "must not be empty" if schema["minLength"] == 1 else
                               f"shorter than {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return SchemaError(path, f"longer than {schema['maxLength']} characters")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return SchemaError(path, f"does not match {schema['pattern']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return SchemaError(path, f"less than {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            return SchemaError(path, f"more than {schema['maximum']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            return SchemaError(path, f"needs at least {schema['minItems']} item(s)")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return SchemaError(path, f"has more than {schema['maxItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                problem = _check(item, schema["items"], root, _at(path, i))
                if problem is not None:
                    return problem
    if isinstance(value, dict):
        for key in schema.get("required", ()):
            if key not in value:
                return SchemaError(path, f"'{key}' is missing")
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            return SchemaError(path, f"has more than {schema['maxProperties']} members")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        names = schema.get("propertyNames")
        for key, item in value.items():
            if names is not None:
                problem = _check(key, names, root, _at(path, key))
                if problem is not None:
                    return SchemaError(problem.path, f"name {_short(key)}: {problem.reason}")
            if key in props:
                problem = _check(item, props[key], root, _at(path, key))
            elif extra is False:
                problem = SchemaError(_at(path, key), "is not allowed here")
            elif isinstance(extra, dict):
                problem = _check(item, extra, root, _at(path, key))
            else:
                problem = None
            if problem is not None:
                return problem
    for sub in schema.get("allOf", ()):
        problem = _check(value, sub, root, path)
        if problem is not None:
            return problem
    if "anyOf" in schema:
        problems = []
        for sub in schema["anyOf"]:
            problem = _check(value, sub, root, path)
            if problem is None:
                break
            problems.append(problem)
        else:
            # The branch that got furthest into the value explains best what is wrong.
            best = max(problems, key=lambda p: len(p.path))
            if best.path == path and len(problems) > 1:
                return SchemaError(path, f"{_describe(value)} of a form that is not allowed here")
            return best
    if "not" in schema and _check(value, schema["not"], root, path) is None:
        return SchemaError(path, "is of a form that is not allowed here")
    if "if" in schema and _check(value, schema["if"], root, path) is None:
        if "then" in schema:
            problem = _check(value, schema["then"], root, path)
            if problem is not None:
                return problem
    return None


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b and type(a) in (type(b), int, float) if isinstance(a, (int, float)) else a == b


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, (str, int, float, bool)) or value is None \
        else _describe(value)
    return text if len(text) <= 40 else text[:37] + "..."
