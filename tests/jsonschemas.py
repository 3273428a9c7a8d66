"""Validate a document against the JSON Schema in docs/schemas/ that its `schema` names."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "schemas"


def schema_file(name: str) -> Path:
    """`kata-cli/check/1` -> docs/schemas/check-1.schema.json."""
    _, command, version = name.split("/")
    return SCHEMAS / f"{command}-{version}.schema.json"


@cache
def load(name: str) -> dict[str, Any]:
    return json.loads(schema_file(name).read_text())


def validate(document: Any, name: str | None = None) -> None:
    """Raise jsonschema.ValidationError unless `document` fits its schema."""
    import jsonschema

    if name is None:
        assert isinstance(document, dict), "a document without a name must carry `schema`"
        name = document["schema"]
    jsonschema.Draft202012Validator(load(name)).validate(document)
