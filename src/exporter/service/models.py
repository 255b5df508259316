"""Typed request bodies (they make the OpenAPI document); limits keep hostile bodies small."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=500)]

MAX_IDS = 2000
MAX_FILTERS = 100
MAX_OPTIONS = 20
#: The shape of a locale name (``en-GB``, ``ru-RU``, ``ru``); the engine checks that it exists.
LOCALE_PATTERN = r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$"
Locale = Annotated[str, StringConstraints(min_length=2, max_length=35, pattern=LOCALE_PATTERN)]


class ExportBody(BaseModel):
    """``POST /v1/exports``: a format, exactly one selection, and what to include."""

    model_config = ConfigDict(extra="forbid", strict=True)

    format: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    entries: Annotated[list[Name], Field(max_length=MAX_IDS)] | None = None
    range: Short | None = Field(default=None, description="FIRST..LAST entry ids, in volume order")
    folder: Name | None = None
    dates: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None, description="FROM..TO: 1918-03-01..1918-03-31, 1918-04, open ends allowed")
    all: bool = False
    layer: Literal["translation", "transcription", "both"] = "both"
    pages: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = Field(
        default=None, description="source pages A-B")
    annotations: Literal["none", "mine", "visible"] = "visible"
    tags: Annotated[list[Name], Field(max_length=MAX_FILTERS)] = []
    creators: Annotated[list[Name], Field(max_length=MAX_FILTERS)] = []
    style: Name | None = None
    locale: Locale | None = Field(default=None, description="citation locale (en-GB, ru-RU); default: the style's")
    accept_terms: bool = False
    #: Options the format declares (``exporter formats --json`` lists them); checked by the engine.
    options: Annotated[dict[Name, Annotated[str, StringConstraints(max_length=200)] | bool | int | float],
                       Field(max_length=MAX_OPTIONS)] = {}

    @field_validator("entries")
    @classmethod
    def _ids(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            if not value:
                raise ValueError("give at least one entry id")
            for item in value:
                if "," in item or item != item.strip():
                    raise ValueError(f"entry id {item[:40]!r} has a comma or surrounding spaces")
        return value
