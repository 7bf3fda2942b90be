"""A stand-in for the pulumi-random resource plugin: RandomPassword and RandomString only.

The real plugin (github.com/pulumi/pulumi-random/provider/v4) cannot be built here: the Go module
proxy refuses every version of it (see scripts/toolchain/pulumi.sh). webstack uses one resource of
the package, ``random:index/randomPassword:RandomPassword`` (the database password, the Grafana
admin password); this plugin serves it (and its twin RandomString) with the same type tokens,
inputs and outputs (``result``; not ``bcryptHash``, which webstack never reads), so the program and
its state are those of the real package, which can replace this file once it can be built.

Semantics follow the upstream Terraform resources: every input forces a replacement (so an
unchanged program never regenerates a password); the value comes from ``secrets.SystemRandom``;
``min_*`` counts are honoured first, the rest drawn from every enabled character set, then
shuffled. Defaults: ``lower``, ``upper``, ``numeric``, ``special`` true, ``min_*`` 0, special
characters ``!@#$%&*()-_=+[]{}<>:?``.

Started by the engine as ``pulumi-resource-random ENGINE_ADDRESS``; prints its port and serves gRPC.
"""

from __future__ import annotations

import json
import secrets
import sys
from concurrent import futures
from typing import Any

try:
    import grpc  # type: ignore[import-untyped]
    from google.protobuf import empty_pb2, json_format, struct_pb2  # type: ignore[import-untyped]
    from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc
except ImportError as err:
    sys.exit(
        f"pulumi-resource-random: {err}; run it from a project whose .venv has the pulumi SDK "
        "(scripts/setup.sh), or set WEBSTACK_PLUGIN_PYTHON to such a Python"
    )

VERSION = "4.21.4"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's sentinel for a value known only after apply
TYPES = ("random:index/randomPassword:RandomPassword", "random:index/randomString:RandomString")
OUTPUTS = ("result", "bcryptHash")
LOWER = "abcdefghijklmnopqrstuvwxyz"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NUMERIC = "0123456789"
SPECIAL = "!@#$%&*()-_=+[]{}<>:?"


def _to_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(struct) if struct is not None else {}


def _to_struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def _type_of(urn: str) -> str:
    # urn:pulumi:<stack>::<project>::<parent types$>type::name
    return urn.split("::")[2].rsplit("$", maxsplit=1)[-1] if urn.count("::") >= 3 else ""


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in OUTPUTS and not k.startswith("__")}


def _flag(inputs: dict[str, Any], name: str, legacy: str | None = None) -> bool:
    if name in inputs:
        return bool(inputs[name])
    if legacy is not None and legacy in inputs:
        return bool(inputs[legacy])
    return True


def _problems(inputs: dict[str, Any]) -> list[provider_pb2.CheckFailure]:
    failures = []
    length = inputs.get("length")
    if not isinstance(length, (int, float)) or length < 1 or int(length) != length:
        failures.append(provider_pb2.CheckFailure(property="length", reason="length: a whole number of at least 1"))
        return failures
    mins = sum(int(inputs.get(k, 0) or 0) for k in ("minLower", "minUpper", "minNumeric", "minSpecial"))
    if mins > length:
        failures.append(
            provider_pb2.CheckFailure(property="length", reason=f"length {int(length)} is below the min_* sum {mins}")
        )
    charsets = (("lower", None), ("upper", None), ("numeric", "number"), ("special", None))
    if not any(_flag(inputs, k, legacy) for k, legacy in charsets):
        failures.append(provider_pb2.CheckFailure(property="lower", reason="every character set is switched off"))
    return failures


def generate(inputs: dict[str, Any]) -> str:
    rng = secrets.SystemRandom()
    special = inputs.get("overrideSpecial") or SPECIAL
    sets = [
        (_flag(inputs, "lower"), LOWER, int(inputs.get("minLower", 0) or 0)),
        (_flag(inputs, "upper"), UPPER, int(inputs.get("minUpper", 0) or 0)),
        (_flag(inputs, "numeric", "number"), NUMERIC, int(inputs.get("minNumeric", 0) or 0)),
        (_flag(inputs, "special"), special, int(inputs.get("minSpecial", 0) or 0)),
    ]
    chars: list[str] = []
    pool = ""
    for enabled, charset, minimum in sets:
        if enabled:
            pool += charset
            chars.extend(rng.choice(charset) for _ in range(minimum))
    chars.extend(rng.choice(pool) for _ in range(int(inputs["length"]) - len(chars)))
    rng.shuffle(chars)
    return "".join(chars)


def _outputs(inputs: dict[str, Any], result: str) -> dict[str, Any]:
    return {**inputs, "result": result}


class RandomProvider(provider_pb2_grpc.ResourceProviderServicer):
    def GetPluginInfo(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC method names
        return plugin_pb2.PluginInfo(version=VERSION)

    def GetSchema(self, request: Any, context: Any) -> Any:  # noqa: N802
        return provider_pb2.GetSchemaResponse(schema=json.dumps({"name": "random", "version": VERSION}))

    def CheckConfig(self, request: Any, context: Any) -> Any:  # noqa: N802
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request: Any, context: Any) -> Any:  # noqa: N802
        return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE)

    def Configure(self, request: Any, context: Any) -> Any:  # noqa: N802
        return provider_pb2.ConfigureResponse(acceptSecrets=False, supportsPreview=True)

    def Check(self, request: Any, context: Any) -> Any:  # noqa: N802
        if _type_of(request.urn) not in TYPES:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown resource type in {request.urn}")
        news = _to_dict(request.news)
        return provider_pb2.CheckResponse(inputs=request.news, failures=_problems(_inputs(news)))

    def Diff(self, request: Any, context: Any) -> Any:  # noqa: N802
        olds = _inputs(_to_dict(request.old_inputs) if request.HasField("old_inputs") else _to_dict(request.olds))
        news = _inputs(_to_dict(request.news))
        changed = sorted(k for k in set(olds) | set(news) if olds.get(k) != news.get(k))
        if not changed:
            return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE)
        # Like upstream, every input forces a new value.
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME, replaces=changed, diffs=changed, deleteBeforeReplace=False
        )

    def Create(self, request: Any, context: Any) -> Any:  # noqa: N802
        inputs = _inputs(_to_dict(request.properties))
        result = UNKNOWN if request.preview else generate(inputs)
        return provider_pb2.CreateResponse(id="none", properties=_to_struct(_outputs(inputs, result)))

    def Read(self, request: Any, context: Any) -> Any:  # noqa: N802
        props = _to_dict(request.properties)
        inputs = _to_dict(request.inputs) if request.HasField("inputs") else _inputs(props)
        return provider_pb2.ReadResponse(id=request.id, properties=request.properties, inputs=_to_struct(inputs))

    def Update(self, request: Any, context: Any) -> Any:  # noqa: N802
        # Only reached when nothing changed (every input change is a replacement).
        olds = _to_dict(request.olds)
        result = olds.get("result", UNKNOWN)
        return provider_pb2.UpdateResponse(properties=_to_struct(_outputs(_inputs(_to_dict(request.news)), result)))

    def Delete(self, request: Any, context: Any) -> Any:  # noqa: N802
        return empty_pb2.Empty()

    def Cancel(self, request: Any, context: Any) -> Any:  # noqa: N802
        return empty_pb2.Empty()


def main() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(RandomProvider(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    server.wait_for_termination()


if __name__ == "__main__":
    main()
