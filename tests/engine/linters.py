"""Third-party manifest checkers, run over a folder of rendered manifests, and the exceptions file.

Each ``run_<tool>`` runs one tool with its machine-readable output and returns its findings as
``Finding`` (check id, object kind, namespace and name). Every tool runs with all its default
checks; ``lint-exceptions.yaml`` (``load_exceptions``) then decides which findings are accepted,
each with its reason, optionally only for some kinds, objects or stacks. Filtering after one
full run (rather than passing skip flags) keeps the exceptions narrow — a skip flag would switch
a check off for every object — and shows at once which exceptions no longer match anything.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TOOL_TIMEOUT = 600  # seconds
# The Kubernetes version the project targets, pinned with the local control plane.
K8S_PIN_FILE = "scripts/toolchain/cluster.sh"
_K8S_PIN = re.compile(r'^K8S_VERSION="?v(?P<major>\d+)\.(?P<minor>\d+)\.\d+"?', re.MULTILINE)


@dataclass(frozen=True)
class Finding:
    tool: str
    check: str
    kind: str
    namespace: str
    name: str
    message: str

    @property
    def object(self) -> str:
        return f"{self.kind}/{self.name}"

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.check} on {self.kind} {where}{self.name}: {self.message}"


@dataclass(frozen=True)
class LintException:
    tool: str
    check: str
    reason: str
    kinds: tuple[str, ...] = ()
    objects: tuple[str, ...] = ()
    """``Kind/name`` of the objects it covers; empty: every object (of ``kinds``)."""
    stacks: tuple[str, ...] = ()

    def covers(self, finding: Finding, stack: str) -> bool:
        return (
            finding.check == self.check
            and (not self.kinds or finding.kind in self.kinds)
            and (not self.objects or finding.object in self.objects)
            and (not self.stacks or stack in self.stacks)
        )

    def __str__(self) -> str:
        scope = [
            f"{k}={','.join(v)}"
            for k, v in (("kinds", self.kinds), ("objects", self.objects), ("stacks", self.stacks))
            if v
        ]
        return f"{self.tool} {self.check}" + (f" ({'; '.join(scope)})" if scope else "")


@dataclass(frozen=True)
class ToolPolicy:
    """One tool's entry in the exceptions file."""

    tool: str
    exceptions: tuple[LintException, ...]
    unavailable: str | None = None
    """Why the tool cannot be installed here; the tool then must indeed be missing."""


class ToolError(AssertionError):
    """The tool itself failed (not: it found something)."""


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{where}: expected a list of strings, got {value!r}")
    return tuple(value)


def load_exceptions(path: Path, tools: Sequence[str]) -> dict[str, ToolPolicy]:
    """Parse ``lint-exceptions.yaml``: one entry per tool, each exception with a check and a reason."""
    document = yaml.safe_load(path.read_text()) or {}
    unknown = sorted(set(document) - set(tools))
    if unknown:
        raise ValueError(f"{path.name}: unknown tools {unknown}; known: {list(tools)}")
    policies: dict[str, ToolPolicy] = {}
    for tool in tools:
        entry = document.get(tool) or {}
        extra = sorted(set(entry) - {"exceptions", "unavailable"})
        if extra:
            raise ValueError(f"{path.name}: {tool}: unknown keys {extra}; use exceptions and unavailable")
        exceptions = []
        for index, item in enumerate(entry.get("exceptions") or []):
            where = f"{path.name}: {tool}.exceptions[{index}]"
            extra = sorted(set(item) - {"check", "reason", "kinds", "objects", "stacks"})
            if extra:
                raise ValueError(f"{where}: unknown keys {extra}")
            if not item.get("check") or not str(item.get("reason", "")).strip():
                raise ValueError(f"{where}: every exception needs a check and a reason")
            exceptions.append(
                LintException(
                    tool=tool,
                    check=str(item["check"]),
                    reason=str(item["reason"]).strip(),
                    kinds=_strings(item.get("kinds"), f"{where}.kinds"),
                    objects=_strings(item.get("objects"), f"{where}.objects"),
                    stacks=_strings(item.get("stacks"), f"{where}.stacks"),
                )
            )
        unavailable = entry.get("unavailable")
        policies[tool] = ToolPolicy(tool, tuple(exceptions), str(unavailable).strip() if unavailable else None)
    return policies


def kubernetes_minor(root: Path) -> tuple[int, int]:
    """The pinned Kubernetes (major, minor), read from the local control plane's pin."""
    text = (root / K8S_PIN_FILE).read_text()
    match = _K8S_PIN.search(text)
    if match is None:
        raise AssertionError(f'no K8S_VERSION="vX.Y.Z" line in {K8S_PIN_FILE}: where is the Kubernetes pin now?')
    return int(match.group("major")), int(match.group("minor"))


def _objects_by_file(files: Sequence[Path]) -> dict[str, tuple[str, str, str]]:
    """file path -> (kind, namespace, name) of the (first) object in it."""
    found: dict[str, tuple[str, str, str]] = {}
    for path in files:
        for document in yaml.safe_load_all(path.read_text()):
            if isinstance(document, dict):
                meta = document.get("metadata") or {}
                found[str(path)] = (
                    str(document.get("kind", "")),
                    str(meta.get("namespace", "")),
                    str(meta.get("name", "")),
                )
                break
    return found


def _run(args: list[str], ok_codes: Sequence[int]) -> subprocess.CompletedProcess[str]:
    if shutil.which(args[0]) is None:
        raise ToolError(
            f"`{args[0]}` is not on PATH: run `scripts/toolchain.sh build linters` and "
            '`eval "$(scripts/toolchain.sh env)"` (scripts/test.sh does both)'
        )
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "NO_COLOR": "1"}
    done = subprocess.run(
        args, check=False, capture_output=True, text=True, timeout=TOOL_TIMEOUT, env=env, stdin=subprocess.DEVNULL
    )
    if done.returncode not in ok_codes:
        raise ToolError(f"`{' '.join(args)}` exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def _crd_schemas(documents: Sequence[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """``(apiVersion, kind)`` -> openAPIV3Schema of each served version of the CRDs among ``documents``."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for crd in documents:
        if crd.get("kind") != "CustomResourceDefinition":
            continue
        spec = crd.get("spec") or {}
        for served in spec.get("versions") or []:
            schema = (served.get("schema") or {}).get("openAPIV3Schema")
            if served.get("served") and schema:
                schemas[f"{spec['group']}/{served['name']}", spec["names"]["kind"]] = schema
    return schemas


def _interpreter_of(tool: str) -> str:
    """The Python that runs a console script: kubernetes-validate's has jsonschema.

    Its shebang's Python, or, for the toolchain's shell wrapper, the private venv beside it.
    """
    path = shutil.which(tool)
    if path is None:
        raise ToolError(f"`{tool}` is not on PATH")
    real = Path(path).resolve()
    first = real.read_text(errors="replace").splitlines()[0]
    if first.startswith("#!") and "python" in first:
        return first[2:].strip().split()[0]
    beside = real.parent.parent / "venv" / "bin" / "python"
    if beside.exists():
        return str(beside)
    raise ToolError(f"cannot tell which Python runs {path}")


def validate_against_crds(files: Sequence[Path]) -> tuple[list[Finding], set[str]]:
    """Custom resources checked against the schemas of the CRDs rendered beside them (``crd_validate.py``).

    Returns the findings and the files whose object had a CRD here (kubernetes-validate's
    "no schema" for them is answered).
    """
    documents = {path: [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)] for path in files}
    schemas = _crd_schemas([d for docs in documents.values() for d in docs])
    requests, where = [], {}
    for path, docs in documents.items():
        for index, document in enumerate(docs):
            schema = schemas.get((str(document.get("apiVersion")), str(document.get("kind"))))
            if schema is not None:
                key = f"{path}#{index}"
                requests.append({"id": key, "schema": schema, "object": document})
                meta = document.get("metadata") or {}
                where[key] = (str(document["kind"]), str(meta.get("namespace", "")), str(meta.get("name", "")), path)
    if not requests:
        return [], set()
    script = Path(__file__).resolve().parent / "crd_validate.py"
    done = subprocess.run(
        [_interpreter_of("kubernetes-validate"), str(script)],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise ToolError(f"crd_validate.py failed:\n{done.stdout}\n{done.stderr}")
    findings = [
        Finding("kubernetes-validate", "invalid", *where[item["id"]][:3], f"against its CRD: {item['message']}")
        for item in json.loads(done.stdout)
    ]
    return findings, {str(path) for *_, path in where.values()}


def run_kubernetes_validate(files: Sequence[Path], version: tuple[int, int]) -> list[Finding]:
    """``kubernetes-validate --strict`` against the pinned version's schemas (shipped in its wheel); a
    custom resource whose CRD is rendered too is validated against that CRD's schema instead."""
    done = _run(
        ["kubernetes-validate", "--strict", "--quiet", "-k", f"{version[0]}.{version[1]}.0", *map(str, files)], (0, 1)
    )
    objects = _objects_by_file(files)
    findings, answered = validate_against_crds(files)
    answered_errors = 0
    for line in done.stdout.splitlines() + done.stderr.splitlines():
        level, _, rest = line.partition(" ")
        if level not in ("ERROR", "WARN", "FATAL"):
            continue
        if level == "FATAL":
            raise ToolError(f"kubernetes-validate: {line}")
        file, _, message = rest.partition(" ")
        if file in answered and message.startswith("Couldn't find schema"):
            answered_errors += level == "ERROR"
            continue
        kind, namespace, name = objects.get(file, ("", "", file))
        check = (
            "schema-not-found"
            if message.startswith("Couldn't find schema")
            else ("invalid" if level == "ERROR" else "warning")
        )
        findings.append(Finding("kubernetes-validate", check, kind, namespace, name, message))
    if done.returncode == 1 and not any(f.check == "invalid" for f in findings) and not answered_errors:
        raise ToolError(f"kubernetes-validate exited 1 without an ERROR line:\n{done.stdout}\n{done.stderr}")
    return findings


def run_kube_score(files: Sequence[Path], version: tuple[int, int]) -> list[Finding]:
    """``kube-score score`` with its default checks; a finding is any check graded below OK."""
    done = _run(
        [
            "kube-score",
            "score",
            "--output-format",
            "json",
            "--kubernetes-version",
            f"v{version[0]}.{version[1]}",
            *map(str, files),
        ],
        (0, 1),
    )
    findings = []
    for scored in json.loads(done.stdout):
        kind = scored["type_meta"]["kind"]
        meta = scored.get("object_meta") or {}
        for check in scored["checks"]:
            if check["skipped"] or check["grade"] >= 10:  # 10: OK
                continue
            comments = "; ".join(
                f"{c.get('path') + ': ' if c.get('path') else ''}{c['summary']}" for c in check.get("comments") or []
            )
            findings.append(
                Finding(
                    "kube-score",
                    check["check"]["id"],
                    kind,
                    meta.get("namespace", ""),
                    meta.get("name", ""),
                    f"grade {check['grade']}: {comments or check['check']['name']}",
                )
            )
    return findings


def _json_document(text: str) -> Any:
    """The JSON document in a tool's stdout (some print a log line before it)."""
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start < 0:
        raise ToolError(f"no JSON in the output:\n{text[-3000:]}")
    return json.loads(text[start:])


def run_checkov(directory: Path) -> list[Finding]:
    """``checkov --framework kubernetes`` over the folder, offline (``--skip-download``)."""
    done = _run(
        ["checkov", "--framework", "kubernetes", "--skip-download", "--directory", str(directory), "--output", "json"],
        (0, 1),
    )
    document = _json_document(done.stdout)
    reports = document if isinstance(document, list) else [document]
    findings = []
    for report in reports:
        for failed in (report.get("results") or {}).get("failed_checks") or []:
            kind, _, rest = str(failed["resource"]).partition(".")
            namespace, _, name = rest.partition(".")
            findings.append(Finding("checkov", failed["check_id"], kind, namespace, name, failed["check_name"]))
    return findings


def run_kube_linter(directory: Path) -> list[Finding]:
    """``kube-linter lint`` with its default checks."""
    done = _run(["kube-linter", "lint", "--format", "json", str(directory)], (0, 1))
    findings = []
    for report in _json_document(done.stdout).get("Reports") or []:
        obj = report["Object"]["K8sObject"]
        findings.append(
            Finding(
                "kube-linter",
                report["Check"],
                obj["GroupVersionKind"]["Kind"],
                obj.get("Namespace", ""),
                obj.get("Name", ""),
                report["Diagnostic"]["Message"],
            )
        )
    return findings


TOOLS: dict[str, Callable[[Path, Sequence[Path], tuple[int, int]], list[Finding]]] = {
    "kubernetes-validate": lambda _dir, files, version: run_kubernetes_validate(files, version),
    "kube-score": lambda _dir, files, version: run_kube_score(files, version),
    "kube-linter": lambda directory, _files, _version: run_kube_linter(directory),
    "checkov": lambda directory, _files, _version: run_checkov(directory),
}
