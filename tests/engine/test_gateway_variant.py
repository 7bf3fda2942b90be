"""The Gateway API variant of prod through the real engine, in render mode, with its add-on objects.

prod with ``routing: gateway`` (the Gateway API CRDs from the pinned ``sigs.k8s.io/gateway-api``
module, see ``tests/gateway_api.py``) and Traefik installed as a ``helm.v4.Chart`` from the
project's local test chart (``platformChartAddons``, ``chartPaths``): ``pulumi up`` renders the
Gateway, its HTTPRoutes, the CRDs and the chart's objects; kubernetes-validate checks the built-in
objects against the pinned Kubernetes schemas and the Gateway and HTTPRoutes against their CRDs'
schemas; the other linters and the policy pack (prod's config) find nothing outside the
exceptions. The figures go to the engine tier's summary.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.engine.linters import TOOLS, Finding, kubernetes_minor, load_exceptions, run_kubernetes_validate
from tests.engine.report import REPORT
from tests.engine.test_policy import policies_section, violations
from tests.engine.workspace import StackRun, Step, deploy, engine_env
from tests.engine.workspace import _run as run_step
from tests.gateway_api import standard_crds
from tests.workspace import ROOT

pytestmark = pytest.mark.engine

STACK = "prod"
LABEL = "prod+gateway"
GATEWAY_KINDS = ("Gateway", "HTTPRoute")
PROBE_CHART = "tests/charts/webstack-probe"


@pytest.fixture(scope="module")
def crds() -> Path:
    return standard_crds()


@pytest.fixture(scope="module")
def variant(pulumi_cli: str, crds: Path, tmp_path_factory: pytest.TempPathFactory) -> StackRun:
    config: dict[str, Any] = {
        "routing": "gateway",
        "gatewayApiCrdsSource": str(crds),
        "platformChartAddons": ["traefik"],
        "chartPaths": [f"traefik={PROBE_CHART}"],
    }
    run = deploy(STACK, ROOT, tmp_path_factory.mktemp("engine-gateway"), config)
    REPORT.times[LABEL] = {name: step.seconds for name, step in run.steps.items() if name in ("preview", "up")}
    return run


def _manifests(run: StackRun) -> dict[str, list[dict[str, Any]]]:
    """kind -> the rendered objects of that kind."""
    found: dict[str, list[dict[str, Any]]] = {}
    for path in run.manifests():
        for document in yaml.safe_load_all(path.read_text()):
            if isinstance(document, dict):
                found.setdefault(str(document.get("kind")), []).append(document)
    return found


def test_up_renders_the_gateway_routes_crds_and_the_chart_objects(variant: StackRun) -> None:
    for name in ("init", "preview", "up"):
        assert variant.step(name).ok, variant.step(name).explain()
    kinds = _manifests(variant)
    counts = Counter({kind: len(objects) for kind, objects in kinds.items()})
    print(f"{LABEL}: {sum(counts.values())} manifests: {dict(sorted(counts.items()))}")
    REPORT.resources[LABEL] = (
        len(variant.resources),
        f"not compared (a ConfigGroup and a Chart register their objects in the provider); "
        f"{sum(counts.values())} rendered manifests: {dict(sorted(counts.items()))}",
    )
    assert "Ingress" not in kinds
    assert len(kinds["Gateway"]) == 1
    # prod serves one host: its HTTPS route and the redirect route.
    assert sorted(r["metadata"]["name"] for r in kinds["HTTPRoute"]) == ["web-https-0", "web-redirect"]
    crd_names = {crd["metadata"]["name"] for crd in kinds["CustomResourceDefinition"]}
    assert {"gateways.gateway.networking.k8s.io", "httproutes.gateway.networking.k8s.io"} <= crd_names
    # Traefik as a helm.v4.Chart: the (stand-in) chart's objects are rendered like the stack's own.
    probes = [c for c in kinds["ConfigMap"] if c["metadata"]["name"] == "traefik-probe"]
    assert [p["metadata"]["namespace"] for p in probes] == ["ingress"]


def test_every_kubernetes_object_of_the_state_is_rendered(variant: StackRun) -> None:
    objects = [r for r in variant.resources if r["type"].startswith("kubernetes:") and r.get("custom")]
    assert len(variant.manifests()) == len(objects)


def test_the_crds_are_exactly_the_pinned_standard_channel(variant: StackRun, crds: Path) -> None:
    expected = {
        doc["metadata"]["name"]
        for path in crds.glob("*.yaml")
        for doc in yaml.safe_load_all(path.read_text())
        if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition"
    }
    rendered = {crd["metadata"]["name"] for crd in _manifests(variant)["CustomResourceDefinition"]}
    assert expected <= rendered
    in_state = [
        r for r in variant.resources if r["type"] == "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
    ]
    # Deleting a CRD deletes every object of its kind: they are kept on destroy.
    gateway_crds = [r for r in in_state if r["outputs"]["metadata"]["name"] in expected]
    assert len(gateway_crds) == len(expected)
    assert all(r.get("retainOnDelete") for r in gateway_crds)


def test_second_preview_expects_no_changes(variant: StackRun) -> None:
    step = variant.step("preview-again")
    assert step.ok, step.explain()


def test_gateway_and_routes_pass_their_crd_schemas_and_a_broken_copy_does_not(
    variant: StackRun, tmp_path: Path
) -> None:
    version = kubernetes_minor(ROOT)
    found = run_kubernetes_validate(variant.manifests(), version)
    for finding in found:
        print(f"kubernetes-validate {LABEL}: {finding}")
    assert not [f for f in found if f.kind in GATEWAY_KINDS], found
    # The check can fail: the same Gateway with a field its schema does not have, and a bad redirect.
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in variant.manifests():
        documents = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
        for document in documents:
            if document.get("kind") == "Gateway":
                document["spec"]["listeners"][0]["tlsMode"] = "Terminate"
            if document.get("kind") == "HTTPRoute" and document["metadata"]["name"] == "web-redirect":
                document["spec"]["rules"][0]["filters"][0]["requestRedirect"]["statusCode"] = 399
        if any(d.get("kind") in (*GATEWAY_KINDS, "CustomResourceDefinition") for d in documents):
            (broken / f"{len(list(broken.iterdir()))}.yaml").write_text(yaml.safe_dump_all(documents))
    bad = [f for f in run_kubernetes_validate(sorted(broken.glob("*.yaml")), version) if f.kind in GATEWAY_KINDS]
    assert sorted((f.kind, f.message.split(":")[1].strip()) for f in bad) == [
        ("Gateway", "spec.listeners.0"),
        ("HTTPRoute", "spec.rules.0.filters.0.requestRedirect.statusCode"),
    ], bad


@pytest.mark.parametrize("tool", tuple(TOOLS))
def test_linters_find_nothing_outside_the_exceptions(variant: StackRun, tool: str) -> None:
    policy = load_exceptions(ROOT / "lint-exceptions.yaml", tuple(TOOLS))[tool]
    if policy.unavailable is not None:
        assert shutil.which(policy.tool) is None
        return
    found: list[Finding] = TOOLS[tool](variant.rendered, variant.manifests(), kubernetes_minor(ROOT))
    open_findings = [f for f in found if not any(e.covers(f, STACK) for e in policy.exceptions)]
    REPORT.findings[tool, LABEL] = (len(found), len(found) - len(open_findings))
    for finding in found:
        print(f"{tool} {LABEL}: {'OPEN' if finding in open_findings else 'excepted'} {finding}")
    assert not open_findings, "\n".join(map(str, open_findings))


@pytest.fixture(scope="module")
def policy_preview(variant: StackRun) -> Step:
    project = variant.workdir / "project"
    pack = ["--policy-pack", str(project / "policy"), "--policy-pack-config", str(project / "policy/config/prod.json")]
    args = ["pulumi", "preview", "--stack", STACK, "--non-interactive", *pack]
    return run_step("preview --policy-pack", args, project, engine_env(variant.workdir))


def test_policy_pack_finds_no_violation(policy_preview: Step) -> None:
    print(f"{LABEL}:\n{policies_section(policy_preview)}")
    assert violations(policy_preview) == [], policy_preview.explain()
    assert policy_preview.ok, policy_preview.explain()
    assert "webstack@v0.1.0" in policies_section(policy_preview)
