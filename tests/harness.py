"""A Pulumi mocks harness that records every registered resource with the options it was given.

Tests build components inside ``synth`` (which runs a ``@pulumi.runtime.test`` function that
returns the component's outputs) and then assert on ``Recorder`` by resource type.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "webstack"
STACKS = ("dev", "staging", "prod")


@dataclass
class Recorded:
    """One registered resource: its inputs and the resource options the engine would see."""

    typ: str
    name: str
    urn: str
    inputs: dict[str, Any]
    custom: bool
    parent: str = ""
    provider: str = ""
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    dependencies: list[str] = field(default_factory=list)
    aliases: list[dict[str, Any]] = field(default_factory=list)
    additional_secret_outputs: list[str] = field(default_factory=list)
    ignore_changes: list[str] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)
    custom_timeouts: dict[str, str] = field(default_factory=dict)
    secret_paths: list[str] = field(default_factory=list)

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self.inputs.get("metadata") or {})

    @property
    def spec(self) -> dict[str, Any]:
        return dict(self.inputs.get("spec") or {})


def _secret_paths(value: Any, path: str = "") -> Iterator[str]:
    """Paths of values that travel as Pulumi secrets in a serialized input struct."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            yield path or "."
            return
        for key, item in value.items():
            yield from _secret_paths(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _secret_paths(item, f"{path}[{index}]")


class Recorder(pulumi.runtime.Mocks):
    """Mocks that echo inputs back as state, plus what provider-computed fields tests need."""

    def __init__(self) -> None:
        self.resources: list[Recorded] = []
        self._by_urn: dict[str, Recorded] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.answers: dict[str, dict[str, Any]] = {}
        """What an invoke of a token returns (default: ``{}``)."""

    # pulumi.runtime.Mocks -------------------------------------------------------------------
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ.startswith("kubernetes:") and "metadata" in state:
            metadata = dict(state["metadata"] or {})
            # The provider auto-names objects with a random suffix when no name is given.
            metadata.setdefault("name", f"{args.name}-abc123")
            state["metadata"] = metadata
        if args.typ == "kubernetes:helm.sh/v3:Release":
            state["status"] = {
                "name": state.get("name", args.name),
                "namespace": state.get("namespace", "default"),
                "status": "deployed",
            }
        if args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = "mock-generated-password-Zq8v"
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        self.calls.append((args.token, dict(args.args)))
        return self.answers.get(args.token, {})

    # queries --------------------------------------------------------------------------------
    def of_type(self, typ: str) -> list[Recorded]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str) -> Recorded:
        found = self.of_type(typ)
        assert len(found) == 1, f"expected one {typ}, found {[r.name for r in found]}"
        return found[0]

    def named(self, name: str) -> Recorded:
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]

    def by_urn(self, urn: str) -> Recorded:
        return self._by_urn[urn]

    def types(self) -> list[str]:
        return sorted(r.typ for r in self.resources)

    def _record(self, request: Any, urn: str) -> None:
        raw = json_format.MessageToDict(request.object) if request.object else {}
        rec = Recorded(
            typ=request.type,
            name=request.name,
            urn=urn,
            inputs=rpc.deserialize_properties(request.object) if request.object else {},
            custom=bool(request.custom),
            parent=request.parent,
            provider=request.provider,
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            delete_before_replace=bool(request.deleteBeforeReplace),
            dependencies=list(request.dependencies),
            aliases=[json_format.MessageToDict(a) for a in request.aliases],
            additional_secret_outputs=list(request.additionalSecretOutputs),
            ignore_changes=list(request.ignoreChanges),
            replace_on_changes=list(request.replaceOnChanges),
            custom_timeouts=json_format.MessageToDict(request.customTimeouts)
            if request.HasField("customTimeouts")
            else {},
            secret_paths=list(_secret_paths(raw)),
        )
        self.resources.append(rec)
        self._by_urn[urn] = rec


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, recorder: Recorder) -> None:
        super().__init__(recorder)
        self.recorder = recorder

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.recorder._record(request, response.urn)
        return response


def install_mocks(stack: str = "test", config: Mapping[str, Any] | None = None) -> Recorder:
    recorder = Recorder()
    pulumi.runtime.set_mocks(
        recorder,
        project=PROJECT,
        stack=stack,
        preview=False,
        monitor=RecordingMonitor(recorder),
        organization="organization",  # what the engine says on a file backend
    )
    pulumi.runtime.set_all_config(
        {f"{PROJECT}:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in (config or {}).items()}
    )
    return recorder


def synth(build: Callable[[], Any]) -> Any:
    """Run ``build`` as a ``@pulumi.runtime.test`` and return what its Output resolved to.

    ``build`` returns an Output (or a dict/list of them); every registration has completed
    when this returns, so the recorder can be asserted on afterwards.
    """
    box: dict[str, Any] = {}

    @pulumi.runtime.test
    def run() -> pulumi.Output[Any]:
        out = pulumi.Output.from_input(build())
        return out.apply(lambda value: box.setdefault("value", value))

    run()
    return box.get("value")


def error_chain(err: BaseException | None) -> str:
    """Every message in an exception chain (Pulumi wraps errors raised inside an apply)."""
    messages = []
    while err is not None:
        messages.append(str(err))
        err = err.__cause__ or err.__context__
    return "\n".join(messages)


def stack_config(stack: str) -> dict[str, Any]:
    """The ``webstack:`` keys of ``Pulumi.<stack>.yaml``, without the project prefix."""
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text()) or {}
    config = document.get("config") or {}
    prefix = f"{PROJECT}:"
    return {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}


def project_document() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "Pulumi.yaml").read_text()))
