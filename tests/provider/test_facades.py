"""The component provider's facades (``provider/facades.py``), without the engine.

The schema ``component_provider_host`` infers from them; that each facade argument is one of the
real component's (so the facades cannot drift from ``components/``); the numbers that cross the
language boundary as doubles; and that a facade builds the real component under mocks.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
from pulumi.provider.experimental.component import ComponentProvider

import components
from provider import facades
from tests.harness import Recorder, synth

WEBAPP = "webstack:index:WebApp"
NAMESPACE = "webstack:index:Namespace"


def _schema() -> dict[str, Any]:
    provider = ComponentProvider(facades.FACADES, facades.PACKAGE, None, facades.VERSION)
    return dict(json.loads(provider.schema))  # type: ignore[attr-defined]


def test_the_schema_exposes_webapp_and_namespace_with_their_inputs_and_outputs() -> None:
    schema = _schema()
    assert schema["name"] == "webstack"
    assert schema["version"] == facades.VERSION
    assert set(schema["resources"]) == {WEBAPP, NAMESPACE}
    web = schema["resources"][WEBAPP]
    assert web["isComponent"] is True
    assert set(web["requiredInputs"]) == {"namespace", "image"}
    assert {"port", "healthPath", "secretEnv", "autoscaling", "egressCidrs"} <= set(web["inputProperties"])
    assert web["inputProperties"]["autoscaling"]["$ref"] == "#/types/webstack:index:AutoscalingArgs"
    assert set(web["properties"]) == {"serviceName", "url", "deploymentName"}
    assert set(schema["resources"][NAMESPACE]["requiredInputs"]) == {"name"}
    assert all(prop.get("description") for prop in web["inputProperties"].values())


def test_every_facade_argument_is_one_of_the_components_own() -> None:
    pairs = [
        (facades.WebAppArgs, components.WebAppArgs),
        (facades.NamespaceArgs, components.NamespaceArgs),
        (facades.AutoscalingArgs, components.AutoscalingArgs),
        (facades.SecretKeyRef, components.SecretKeyRef),
    ]
    for facade, real in pairs:
        extra = set(facade.__annotations__) - set(real.__annotations__)
        assert not extra, f"{facade.__name__} has arguments {real.__name__} does not know: {extra}"
        # components/ uses `from __future__ import annotations`: its annotations are forward references.
        required = {
            key
            for key, hint in real.__annotations__.items()
            if not getattr(hint, "__forward_arg__", str(hint)).startswith("NotRequired[")
        }
        assert facade.__required_keys__ == required, facade.__name__


def test_whole_number_doubles_become_ints_nested_ones_too() -> None:
    args = {
        "namespace": "ns",
        "image": "app:1",
        "port": 9898.0,
        "autoscaling": {"max_replicas": 4.0},
        "env": {"A": "1"},
    }
    assert facades.plain_ints(args, facades.WebAppArgs) == {
        "namespace": "ns",
        "image": "app:1",
        "port": 9898,
        "autoscaling": {"max_replicas": 4},
        "env": {"A": "1"},
    }
    # A fraction stays what it is, for the component's validation to refuse with its own message.
    assert facades.plain_ints({"port": 80.5}, facades.WebAppArgs) == {"port": 80.5}


def test_the_facade_builds_the_real_component_as_its_child(mocks: Recorder) -> None:
    def build() -> pulumi.Output[Any]:
        app = facades.WebApp(
            "web", {"namespace": "apps", "image": "ghcr.io/stefanprodan/podinfo:6.7.1", "port": 9898, "replicas": 1}
        )
        return pulumi.Output.all(app.service_name, app.url)

    service_name, url = synth(build)
    assert service_name == "web"
    assert url == "http://web.apps.svc.cluster.local:80"
    facade = mocks.one(WEBAPP)
    inner = mocks.one("webstack:app:WebApp")
    assert inner.parent == facade.urn
    deployment = mocks.one("kubernetes:apps/v1:Deployment")
    assert deployment.spec["replicas"] == 1
