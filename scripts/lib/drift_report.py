"""Turns `pulumi refresh --preview-only --json` into scripts/drift.sh's report and exit code.

    python3 scripts/lib/drift_report.py STDOUT_FILE STDERR_FILE PULUMI_EXIT_CODE

Exit 0: every resource reads back as the state has it. Exit 1: drift; each drifted resource on one line
(``<op> <type> <name>``), then one indented line per field that differs, with the state's and the cluster's
values (secrets never shown). Exit 2: the refresh failed (its error diagnostics are printed) or said nothing usable.
Standard library only: it runs before any project venv exists.
"""

from __future__ import annotations

import json
import sys
from typing import Any

NO_DRIFT, DRIFT, ERROR = 0, 1, 2
SECRET_SIG = "4dabf18193072939515e22adb298388d"
# Volatile bookkeeping the API server rewrites on every write: never drift by itself. `__inputs` is the Kubernetes
# provider's copy of the inputs it read back: the same change again, under another name.
VOLATILE = ("metadata.resourceVersion", "metadata.managedFields", "metadata.generation", "status", "__inputs")


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270"


def _show(value: Any) -> str:
    if _is_secret(value):
        return "[secret]"
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths to leaves (lists indexed as [i]); a secret is one opaque leaf."""
    if isinstance(value, dict) and value and not _is_secret(value):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for index, item in enumerate(value):
            out.update(_flatten(item, f"{prefix}[{index}]"))
        return out
    return {prefix: value}


def _volatile(path: str) -> bool:
    return any(path == v or path.startswith((v + ".", v + "[")) for v in VOLATILE)


def field_changes(step: dict[str, Any]) -> list[str]:
    """One line per field that differs between the state (old) and what the cluster returned (new); none when
    only bookkeeping the API server rewrites differs, whatever the step's op says."""
    old_state = step.get("oldState") or {}
    new_state = step.get("newState") or {}
    if not new_state:
        return ["(gone from the cluster)"] if old_state else []
    old = _flatten(old_state.get("outputs") or {})
    new = _flatten(new_state.get("outputs") or {})
    lines = []
    for path in sorted(set(old) | set(new)):
        if _volatile(path) or old.get(path) == new.get(path):
            continue
        before = _show(old[path]) if path in old else "(absent)"
        after = _show(new[path]) if path in new else "(absent)"
        lines.append(f"{path}: {before} -> {after}")
    return lines


def _name(urn: str) -> str:
    """``Deployment web-deployment (kubernetes:apps/v1:Deployment)`` from the URN."""
    # urn:pulumi:<stack>::<project>::<parent types$>type::name
    parts = urn.split("::")
    if len(parts) < 4:
        return urn
    typ = parts[-2].split("$")[-1]
    return f"{typ.rsplit(':', 1)[-1]} {parts[-1]} ({typ})"


def report(stdout: str, stderr: str, code: int) -> tuple[int, list[str]]:
    """The exit code and the lines to print."""
    try:
        digest = json.loads(stdout) if stdout.strip() else None
    except json.JSONDecodeError:
        digest = None
    errors: list[str] = []
    if isinstance(digest, dict):
        # Each resource repeats the same failure: once each, the provider's reason (a warning) first.
        for severity in ("warning", "error"):
            for d in digest.get("diagnostics") or []:
                message = d.get("message", "").strip()
                wanted = severity == "error" or "unreachable" in message
                if d.get("severity") == severity and wanted and message and message not in errors:
                    errors.append(message)
    if code != 0 or not isinstance(digest, dict):
        detail = errors or stderr.strip().splitlines()[-15:] or ["pulumi gave no output"]
        return ERROR, [f"drift: error: the refresh failed (pulumi exit {code}); nothing can be said about drift:"] + [
            f"  {line}" for line in detail
        ]
    lines = []
    drifted = 0
    for step in digest.get("steps") or []:
        op = step.get("op", "")
        urn = step.get("urn", "")
        if urn.endswith("::default") or "pulumi:providers:" in urn or "pulumi:pulumi:Stack" in urn:
            continue
        changes = field_changes(step)
        if not changes:
            continue
        drifted += 1
        lines.append(f"DRIFT {op} {_name(urn)}")
        lines.extend(f"    {change}" for change in changes)
    if drifted == 0:
        return NO_DRIFT, ["drift: none: every resource reads back as the last deployment left it"]
    return DRIFT, [f"drift: {drifted} resource(s) differ from the last deployment:", *lines]


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return ERROR
    with open(argv[1]) as out, open(argv[2]) as err:
        code, lines = report(out.read(), err.read(), int(argv[3]))
    print("\n".join(lines), file=sys.stdout if code != ERROR else sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
