"""components/web_app.py: the web app, built on recording mocks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.web_app import WebApp, WebAppArgs
from tests.harness import Recorded, Recorder, synth

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
IMAGE = "ghcr.io/org/app:1.4.2"
SELECTOR = {
    "app.kubernetes.io/name": "web",
    "app.kubernetes.io/instance": "web",
    "app.kubernetes.io/component": "web",
}


def _args(**extra: Any) -> WebAppArgs:
    return {"namespace": "team-a", "image": IMAGE, **extra}  # type: ignore[typeddict-item]


def _build(name: str = "web", **extra: Any) -> dict[str, Any]:
    """Build a fresh WebApp and return its resolved outputs."""

    def build() -> dict[str, Any]:
        app = WebApp(name, _args(**extra))
        return {"url": app.url, "service_name": app.service_name, "deployment_name": app.deployment_name}

    return dict(synth(build))


def _pod(mocks: Recorder) -> dict[str, Any]:
    return dict(mocks.one(DEPLOYMENT).spec["template"]["spec"])


def _container(mocks: Recorder) -> dict[str, Any]:
    [container] = _pod(mocks)["containers"]
    return dict(container)


# --- structure ----------------------------------------------------------------------------


def test_default_children_and_type_token(mocks: Recorder) -> None:
    _build()
    assert mocks.one("webstack:app:WebApp").name == "web"
    assert sorted(r.typ for r in mocks.resources if r.typ.startswith("kubernetes:")) == sorted(
        [SERVICE_ACCOUNT, DEPLOYMENT, SERVICE, PDB, NETWORK_POLICY]
    )


def test_every_child_is_parented_to_the_component(mocks: Recorder) -> None:
    _build(env={"A": "1"}, secret_env={"T": "x"}, autoscaling={"max_replicas": 4})
    component = mocks.one("webstack:app:WebApp")
    children = [r for r in mocks.resources if r.typ.startswith("kubernetes:")]
    assert len(children) == 8
    assert all(child.parent == component.urn for child in children)


def test_outputs_url_and_service_name(mocks: Recorder) -> None:
    outputs = _build()
    assert outputs == {
        "url": "http://web.team-a.svc.cluster.local:80",
        "service_name": "web",
        "deployment_name": "web",
    }


# --- defaults -----------------------------------------------------------------------------


def test_replicas_default_is_2(mocks: Recorder) -> None:
    _build()
    assert mocks.one(DEPLOYMENT).spec["replicas"] == 2


def test_port_default_is_8080_named_http(mocks: Recorder) -> None:
    _build()
    assert _container(mocks)["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]


def test_probes_default_to_health_and_ready_with_a_startup_probe(mocks: Recorder) -> None:
    _build()
    container = _container(mocks)
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/health", "port": "http"}


def test_probe_paths_can_be_set(mocks: Recorder) -> None:
    _build(health_path="/healthz", ready_path="/readyz")
    container = _container(mocks)
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_resources_default_include_ephemeral_storage(mocks: Recorder) -> None:
    _build()
    assert _container(mocks)["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi", "ephemeral-storage": "64Mi"},
        "limits": {"cpu": "500m", "memory": "256Mi", "ephemeral-storage": "256Mi"},
    }


def test_resources_given_are_merged_over_the_defaults(mocks: Recorder) -> None:
    _build(requests={"cpu": "250m"}, limits={"cpu": "1"})
    resources = _container(mocks)["resources"]
    assert resources["requests"]["cpu"] == "250m"
    assert resources["limits"]["cpu"] == "1"
    assert resources["requests"]["memory"] == "128Mi"


def test_rolling_update_never_removes_a_ready_pod_first(mocks: Recorder) -> None:
    _build()
    assert mocks.one(DEPLOYMENT).spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
    }


def test_pod_security_context_default(mocks: Recorder) -> None:
    _build()
    context = _pod(mocks)["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["runAsUser"] == 10001
    assert context["runAsGroup"] == 10001
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}


def test_container_security_context_default(mocks: Recorder) -> None:
    _build()
    context = _container(mocks)["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["runAsUser"] == 10001
    assert context["runAsGroup"] == 10001
    assert context["allowPrivilegeEscalation"] is False
    assert context["privileged"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}


def test_run_as_user_sets_uid_and_gid(mocks: Recorder) -> None:
    _build(run_as_user=20000)
    assert _pod(mocks)["securityContext"]["runAsUser"] == 20000
    assert _container(mocks)["securityContext"]["runAsGroup"] == 20000


def test_writable_tmp_is_an_empty_dir(mocks: Recorder) -> None:
    _build()
    assert _container(mocks)["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    [volume] = _pod(mocks)["volumes"]
    assert volume["name"] == "tmp"
    assert "emptyDir" in volume


def test_service_account_does_not_mount_a_token(mocks: Recorder) -> None:
    _build()
    account = mocks.one(SERVICE_ACCOUNT)
    assert account.inputs["automountServiceAccountToken"] is False
    assert account.metadata["name"] == "web"
    pod = _pod(mocks)
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == "web"


def test_service_default_is_cluster_ip_port_80_to_http(mocks: Recorder) -> None:
    _build()
    service = mocks.one(SERVICE)
    assert service.spec["type"] == "ClusterIP"
    assert service.spec["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]
    assert service.spec["selector"] == SELECTOR
    # Not awaited: the Deployment awaits the pods; the provider's Service await adds a 10 s settle.
    assert service.metadata["annotations"] == {"pulumi.com/skipAwait": "true"}


def test_no_hpa_by_default(mocks: Recorder) -> None:
    _build()
    assert mocks.of_type(HPA) == []


def test_pdb_present_at_2_replicas(mocks: Recorder) -> None:
    _build(replicas=2)
    assert mocks.one(PDB).spec == {"maxUnavailable": 1, "selector": {"matchLabels": SELECTOR}}


def test_pdb_absent_at_1_replica(mocks: Recorder) -> None:
    _build(replicas=1)
    assert mocks.of_type(PDB) == []
    assert mocks.one(DEPLOYMENT).spec["replicas"] == 1


def test_anti_affinity_and_soft_topology_spread_by_default(mocks: Recorder) -> None:
    _build()
    pod = _pod(mocks)
    [preferred] = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert preferred["podAffinityTerm"] == {
        "topologyKey": "kubernetes.io/hostname",
        "labelSelector": {"matchLabels": SELECTOR},
    }
    [spread] = pod["topologySpreadConstraints"]
    assert spread == {
        "maxSkew": 1,
        "topologyKey": "kubernetes.io/hostname",
        "whenUnsatisfiable": "ScheduleAnyway",
        "labelSelector": {"matchLabels": SELECTOR},
    }


def test_spread_policy_can_be_hard(mocks: Recorder) -> None:
    _build(spread_policy="DoNotSchedule")
    [spread] = _pod(mocks)["topologySpreadConstraints"]
    assert spread["whenUnsatisfiable"] == "DoNotSchedule"


def test_network_policy_admits_only_the_ingress_namespace_on_http(mocks: Recorder) -> None:
    _build()
    policy = mocks.one(NETWORK_POLICY)
    assert policy.spec == {
        "podSelector": {"matchLabels": SELECTOR},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}}}],
                "ports": [{"port": "http", "protocol": "TCP"}],
            }
        ],
    }


def test_no_egress_policy_by_default(mocks: Recorder) -> None:
    # The namespace's default deny leaves DNS; the database admits its clients on its own.
    _build()
    assert [r.name for r in mocks.of_type(NETWORK_POLICY)] == ["web-allow-ingress"]


def test_egress_cidrs_open_those_networks_but_never_the_metadata_address(mocks: Recorder) -> None:
    _build(egress_cidrs=["0.0.0.0/0", "10.20.0.0/16", "2001:db8::/32", "::/0"])
    policy = mocks.named("web-allow-egress")
    assert policy.metadata["name"] == "web-allow-egress"
    assert policy.spec == {
        "podSelector": {"matchLabels": SELECTOR},
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [
                    {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}},
                    {"ipBlock": {"cidr": "10.20.0.0/16"}},
                    {"ipBlock": {"cidr": "2001:db8::/32"}},
                    {"ipBlock": {"cidr": "::/0", "except": ["fd00:ec2::254/128"]}},
                ]
            }
        ],
    }


@pytest.mark.parametrize(
    ("cidrs", "message"),
    [
        (["10.0.0.1/8"], r"^WebApp egress_cidrs: '10.0.0.1/8' is not a network in CIDR notation"),
        ("10.0.0.0/8", r"^WebApp egress_cidrs: '10.0.0.0/8' is a string; give a list"),
        (
            ["169.254.169.254/32"],
            r"^WebApp egress_cidrs: .169.254.169.254/32. holds the cloud instance metadata address",
        ),
        (["fd00:ec2::254/128"], r"^WebApp egress_cidrs: .fd00:ec2::254/128. holds the cloud instance metadata address"),
    ],
)
def test_bad_egress_cidrs_are_refused(mocks: Recorder, cidrs: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WebApp("web", _args(egress_cidrs=cidrs))
    assert mocks.of_type(NETWORK_POLICY) == []


def test_no_network_policy_when_ingress_namespace_is_none(mocks: Recorder) -> None:
    _build(ingress_namespace=None)
    assert mocks.of_type(NETWORK_POLICY) == []


def test_network_policy_name_of_a_long_app_name_is_valid(mocks: Recorder) -> None:
    # GIVEN a 56-character name: truncating '<name>-allow-ingress' to 63 left a trailing '-'
    name = "a" * 56
    _build(name)
    policy_name = mocks.one(NETWORK_POLICY).metadata["name"]
    assert policy_name == f"{name}-allow-ingress"


def test_selector_is_the_immutable_subset_and_the_pod_has_the_rest(mocks: Recorder) -> None:
    _build()
    spec = mocks.one(DEPLOYMENT).spec
    assert spec["selector"] == {"matchLabels": SELECTOR}
    labels = spec["template"]["metadata"]["labels"]
    assert labels == {
        **SELECTOR,
        "app.kubernetes.io/version": "1.4.2",
        "app.kubernetes.io/part-of": "webstack",
        "app.kubernetes.io/managed-by": "pulumi",
    }


def test_instance_and_version_can_be_set(mocks: Recorder) -> None:
    _build(instance="webstack-prod", version="2024.1")
    spec = mocks.one(DEPLOYMENT).spec
    assert spec["selector"]["matchLabels"]["app.kubernetes.io/instance"] == "webstack-prod"
    assert spec["template"]["metadata"]["labels"]["app.kubernetes.io/version"] == "2024.1"


def test_image_is_pulled_always(mocks: Recorder) -> None:
    _build()
    container = _container(mocks)
    assert container["image"] == IMAGE
    assert container["imagePullPolicy"] == "Always"


def test_metrics_with_every_default_still_scrape_the_app(mocks: Recorder) -> None:
    # An empty AppMetricsArgs means "metrics, all defaults"; only None switches them off.
    _build(metrics={})
    monitor = mocks.one("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")
    assert monitor.spec["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "30s", "scheme": "http"}]
    assert mocks.named("web-allow-metrics").spec["ingress"][0]["ports"] == [{"port": "http", "protocol": "TCP"}]


# --- env ----------------------------------------------------------------------------------


def test_no_config_map_or_secret_without_env(mocks: Recorder) -> None:
    _build()
    assert mocks.of_type(CONFIG_MAP) == []
    assert mocks.of_type(SECRET) == []
    container = _container(mocks)
    assert "env" not in container
    assert "envFrom" not in container


def test_env_goes_into_a_config_map_read_with_env_from(mocks: Recorder) -> None:
    _build(env={"LOG_LEVEL": "info"})
    config = mocks.one(CONFIG_MAP)
    assert config.inputs["data"] == {"LOG_LEVEL": "info"}
    assert config.metadata["namespace"] == "team-a"
    assert "name" not in config.metadata  # auto-named: a change rolls the pods
    assert _container(mocks)["envFrom"] == [{"configMapRef": {"name": "web-env-abc123"}}]
    assert mocks.of_type(SECRET) == []


def _secret_paths(secret: Recorded) -> list[str]:
    return [p for p in secret.secret_paths if p.startswith("stringData")]


def test_secret_env_goes_into_a_secret_as_a_pulumi_secret(mocks: Recorder) -> None:
    _build(secret_env={"API_TOKEN": "s3cr3t-value"})
    secret = mocks.one(SECRET)
    assert secret.inputs["type"] == "Opaque"
    assert _secret_paths(secret), f"stringData is not a Pulumi secret: {secret.secret_paths}"
    assert "stringData" in secret.additional_secret_outputs
    assert mocks.of_type(CONFIG_MAP) == []


def test_secret_env_is_read_through_secret_key_ref_not_a_literal_value(mocks: Recorder) -> None:
    _build(secret_env={"API_TOKEN": "s3cr3t-value"})
    assert _container(mocks)["env"] == [
        {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "web-secret-env-abc123", "key": "API_TOKEN"}}}
    ]


def test_secret_value_appears_in_no_other_resource(mocks: Recorder) -> None:
    _build(env={"LOG_LEVEL": "info"}, secret_env={"API_TOKEN": "s3cr3t-value"})
    others = [r for r in mocks.resources if r.typ != SECRET]
    assert len(others) == len(mocks.resources) - 1
    for resource in others:
        assert "s3cr3t-value" not in json.dumps(resource.inputs, default=str), resource.name


def test_secret_refs_are_read_through_secret_key_ref(mocks: Recorder) -> None:
    _build(secret_refs={"DB_PASSWORD": {"name": "db-credentials", "key": "password"}})
    assert mocks.of_type(SECRET) == []
    assert _container(mocks)["env"] == [
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db-credentials", "key": "password"}}}
    ]


# --- Service type and autoscaling ---------------------------------------------------------


def test_load_balancer_with_annotations_passed_through(mocks: Recorder) -> None:
    annotations = {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}
    _build(service_type="LoadBalancer", service_annotations=annotations)
    service = mocks.one(SERVICE)
    assert service.spec["type"] == "LoadBalancer"
    assert service.metadata["annotations"] == annotations


def test_autoscaling_adds_an_hpa_and_leaves_replicas_to_it(mocks: Recorder) -> None:
    _build(replicas=3, autoscaling={"max_replicas": 10, "cpu_percent": 60})
    hpa = mocks.one(HPA)
    assert hpa.inputs["apiVersion"] == "autoscaling/v2"
    assert hpa.spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
    assert hpa.spec["minReplicas"] == 3
    assert hpa.spec["maxReplicas"] == 10
    assert hpa.spec["metrics"] == [
        {
            "type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}},
        }
    ]
    assert "replicas" not in mocks.one(DEPLOYMENT).spec


def test_autoscaling_cpu_target_default_is_70(mocks: Recorder) -> None:
    _build(autoscaling={"max_replicas": 5})
    assert mocks.one(HPA).spec["metrics"][0]["resource"]["target"]["averageUtilization"] == 70


# --- errors: raised before any child is registered ----------------------------------------


@pytest.mark.parametrize(
    ("name", "extra", "message"),
    [
        ("Web", {}, r"^WebApp resource name: 'Web' is not a valid DNS-1123 label"),
        ("1web", {}, r"^WebApp resource name: '1web' must start with a letter"),
        ("web", {"image": "UPPER/case:1"}, r"^WebApp image: 'UPPER/case:1' is not a valid image reference"),
        ("web", {"port": 70000}, r"^WebApp port: 70000 is not a valid port"),
        ("web", {"replicas": 0}, r"^WebApp replicas: 0 is out of range; use a whole number from 1 to 1000"),
        (
            "web",
            {"requests": {"memory": "1Gi"}},
            r"^WebApp requests\['memory'\]: the request '1Gi' is above the limit '256Mi' "
            r"\(WebApp limits\['memory'\]\)",
        ),
        (
            "web",
            {"limits": {"cpu": "1.5cores"}},
            r"^WebApp limits\['cpu'\]: '1.5cores' is not a Kubernetes quantity",
        ),
        (
            # Checked on its own, not only against the limit: a negative request is below any limit.
            "web",
            {"requests": {"cpu": "-100m"}},
            r"^WebApp requests\['cpu'\]: '-100m' must be greater than zero",
        ),
        ("web", {"env": {"LOG-LEVEL": "x"}}, r"^WebApp env: 'LOG-LEVEL' is not a valid environment variable name"),
        (
            "web",
            {"env": {"TOKEN": "x"}, "secret_env": {"TOKEN": "y"}},
            r"^WebApp secret_env: 'TOKEN' is already set by another env argument",
        ),
        (
            "web",
            {"replicas": 3, "autoscaling": {"max_replicas": 2}},
            r"^WebApp autoscaling.max_replicas: 2 is out of range; use a whole number from 3 to 1000",
        ),
        ("web", {"service_type": "NodePort"}, r"^WebApp service_type: 'NodePort' is not one of 'ClusterIP'"),
        ("web", {"spread_policy": "Hard"}, r"^WebApp spread_policy: 'Hard' is not one of 'ScheduleAnyway'"),
        ("web", {"health_path": "health"}, r"^WebApp health_path: 'health' is not an HTTP path"),
        ("web", {"ready_path": "/rea dy"}, r"^WebApp ready_path: '/rea dy' is not an HTTP path"),
    ],
    ids=[
        "bad-resource-name",
        "resource-name-starting-with-a-digit",
        "bad-image",
        "bad-port",
        "zero-replicas",
        "request-above-limit",
        "bad-quantity",
        "negative-request-below-its-limit",
        "bad-env-name",
        "duplicated-env-name",
        "max-replicas-below-replicas",
        "bad-service-type",
        "bad-spread-policy",
        "bad-health-path",
        "bad-ready-path",
    ],
)
def test_bad_argument_is_refused_naming_it(mocks: Recorder, name: str, extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WebApp(name, _args(**extra))
    assert [r for r in mocks.resources if r.typ.startswith("kubernetes:")] == []
