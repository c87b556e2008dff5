"""Extracts, from Instantly's official OpenAPI spec, what the spec tests need: the responses of
every endpoint the pipeline calls, with the component schemas they reference.

The repo keeps the extract (`tests/spec/instantly-openapi-v2.responses.json`), so a plain clone
tests without the full spec. Run again when the spec or the endpoints change:

    python tests/extract_spec.py path/to/instantly-openapi-v2.json
"""

import hashlib
import json
import sys
from pathlib import Path
from typing import Any, Iterator, Set

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.instantly import settings  # noqa: E402

OUTPUT = Path(__file__).resolve().parent / "spec" / "instantly-openapi-v2.responses.json"


def called_paths() -> Set[str]:
    """Every endpoint path the Instantly settings name."""
    return {value for value in vars(settings).values() if isinstance(value, str) and value.startswith("/api/v2/")}


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def extract(spec: dict) -> dict:
    paths = {}
    for path in sorted(called_paths()):
        if path not in spec["paths"]:
            raise SystemExit(f"{path} is not in the spec")
        paths[path] = {
            method: {"responses": operation["responses"]}
            for method, operation in spec["paths"][path].items()
            if isinstance(operation, dict) and "responses" in operation
        }
    schemas = {}
    todo = list(refs(paths))
    while todo:
        ref = todo.pop()
        prefix = "#/components/schemas/"
        if not ref.startswith(prefix) or ref[len(prefix):] in schemas:
            continue
        name = ref[len(prefix):]
        schemas[name] = spec["components"]["schemas"][name]
        todo.extend(refs(schemas[name]))
    return {"paths": paths, "components": {"schemas": dict(sorted(schemas.items()))}}


def main(source: str) -> None:
    raw = Path(source).read_bytes()
    spec = json.loads(raw.decode("utf-8-sig"))
    out = {
        "info": {
            "title": "Instantly API v2: responses of the endpoints this pipeline calls",
            "version": spec["info"]["version"],
            "extracted_from": Path(source).name,
            "source_sha256": hashlib.sha256(raw).hexdigest(),
        },
        **extract(spec),
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(out, indent=1, sort_keys=False) + "\n")
    print(f"wrote {OUTPUT} ({len(out['paths'])} paths, {len(out['components']['schemas'])} schemas)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python tests/extract_spec.py path/to/instantly-openapi-v2.json")
    main(sys.argv[1])
