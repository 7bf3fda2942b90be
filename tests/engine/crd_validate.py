"""Validate custom resources against the openAPIV3Schema of their CustomResourceDefinition.

kubernetes-validate ships the schemas of built-in kinds only; for a custom resource whose CRD is
among the manifests checked (the Gateway API CRDs that ``Platform`` installs), this script does
what kubernetes-validate does for built-in kinds, with the same library: JSON Schema validation,
strict (an unknown field is an error, as kubernetes-validate ``--strict``; the API server would
drop it silently). The CEL rules (``x-kubernetes-validations``) are the API server's to run: the
e2e tier applies the objects to a cluster for those.

It runs with kubernetes-validate's own interpreter (which has ``jsonschema``): JSON on stdin,
``[{"id": ..., "schema": <openAPIV3Schema>, "object": <manifest>}]``; JSON on stdout,
``[{"id": ..., "message": ...}]``, one entry per violation.
"""

from __future__ import annotations

import copy
import json
import sys
from typing import Any


def strict(schema: Any) -> Any:
    """The schema with unknown fields refused wherever it lists the fields an object has."""
    if isinstance(schema, dict):
        out = {key: strict(value) for key, value in schema.items() if not key.startswith("x-kubernetes-")}
        preserves = schema.get("x-kubernetes-preserve-unknown-fields") is True
        if "properties" in schema and "additionalProperties" not in schema and not preserves:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


def with_object_meta(schema: dict[str, Any]) -> dict[str, Any]:
    """apiVersion, kind and metadata are the API server's (CRD schemas leave them open)."""
    out = copy.deepcopy(schema)
    properties = out.setdefault("properties", {})
    properties.setdefault("apiVersion", {"type": "string"})
    properties.setdefault("kind", {"type": "string"})
    properties["metadata"] = {"type": "object"}
    return out


def main() -> int:
    import jsonschema  # kubernetes-validate's dependency: present in its interpreter only

    requests = json.load(sys.stdin)
    found = []
    for request in requests:
        validator = jsonschema.Draft7Validator(strict(with_object_meta(request["schema"])))
        for error in sorted(validator.iter_errors(request["object"]), key=lambda e: list(e.absolute_path)):
            path = ".".join(str(part) for part in error.absolute_path) or "(root)"
            found.append({"id": request["id"], "message": f"{path}: {error.message}"})
    json.dump(found, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
