"""Checking an answer against the official spec's response schemas (the extract kept in
tests/spec), and asking the simulator as any client would: shared by the tiers."""

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC = Path(
    os.environ.get("INSTANTLY_OPENAPI_SPEC", Path(__file__).resolve().parent / "spec/instantly-openapi-v2.responses.json")
)
"""The responses of the endpoints we call, extracted from the official spec (tests/extract_spec.py)."""


def registry() -> Registry:
    """The extract as a schema registry (`urn:spec`)."""
    spec = json.loads(SPEC.read_text(encoding="utf-8-sig"))
    return Registry().with_resource("urn:spec", Resource.from_contents(spec, DRAFT202012))


def validator(registry, path: str, status: str = "200", method: str = "get") -> Draft202012Validator:
    escaped = path.replace("~", "~0").replace("/", "~1")
    pointer = f"/paths/{escaped}/{method}/responses/{status}/content/application~1json/schema"
    return Draft202012Validator({"$ref": f"urn:spec#{pointer}"}, registry=registry)


def get(sim, path: str, params=(), key=None, body=None):
    request = urllib.request.Request(
        f"{sim.url}{path}?{urlencode(list(params))}",
        headers={"Authorization": f"Bearer {key or sim.api_key}", "Content-Type": "application/json"},
        data=None if body is None else json.dumps(body).encode(),
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
