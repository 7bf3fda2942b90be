"""webstack/settings.py: load_settings is pure, so these run without mocks.

Errors are one ConfigError whose ``problems`` each name the key as ``webstack:<key>``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness import STACKS, stack_config
from tests.webstack.loading import load_minimal, minimal_problems, one_problem
from webstack.config.spec import ConfigError, SecretStr
from webstack.settings import load_settings

SECRET_ENV = frozenset({"appSecretEnv"})


# --- the stack files ----------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_file_loads(stack: str) -> None:
    settings = load_settings(stack_config(stack), stack)
    assert settings.stack == stack
    assert settings.environment == stack
    assert settings.namespace.name == f"webstack-{stack}"
    assert settings.instance == f"webstack-{stack}"


def test_dev_runs_one_replica_without_autoscaling() -> None:
    settings = load_settings(stack_config("dev"), "dev")
    assert settings.app.replicas == 1
    assert settings.app.autoscaling is False
    assert settings.app.env == (("PODINFO_UI_MESSAGE", "webstack dev"), ("LOG_LEVEL", "debug"))


def test_prod_runs_at_least_three_autoscaled_replicas_spread_hard() -> None:
    settings = load_settings(stack_config("prod"), "prod")
    assert settings.app.replicas >= 3
    assert settings.app.autoscaling is True
    assert settings.app.max_replicas >= settings.app.replicas
    assert settings.app.spread_policy == "DoNotSchedule"
    assert settings.app.version == "6.7.1"


# --- defaults -----------------------------------------------------------------------------


def test_almost_empty_config_takes_every_core_default() -> None:
    # The documented defaults (README's config table), written out: the secure settings.
    ns = load_minimal().namespace
    assert ns.name == "webstack"
    assert ns.pod_security == "restricted"
    assert ns.quota == {
        "requests.cpu": "4",
        "requests.memory": "8Gi",
        "limits.cpu": "8",
        "limits.memory": "16Gi",
        "requests.storage": "100Gi",
        "pods": "50",
    }
    assert ns.default_requests == {"cpu": "100m", "memory": "128Mi"}
    assert ns.default_limits == {"cpu": "500m", "memory": "256Mi"}


def test_almost_empty_config_takes_every_app_default() -> None:
    settings = load_minimal()
    got = settings.app
    assert settings.environment == "dev"
    assert (got.image, got.version) == ("x/y:1", "1")
    assert got.name == "web"
    assert got.port == 8080
    assert got.replicas == 2
    assert got.requests == {"cpu": "100m", "memory": "128Mi"}
    assert got.limits == {"cpu": "500m", "memory": "256Mi"}
    assert (got.health_path, got.ready_path) == ("/health", "/ready")
    assert got.env == ()
    assert got.secret_env == ()
    assert got.service_type == "ClusterIP"
    assert got.service_annotations == ()
    assert got.autoscaling is False
    assert got.max_replicas == 10
    assert got.cpu_percent == 70
    assert got.spread_policy == "ScheduleAnyway"
    assert got.egress_cidrs == ()


def test_egress_cidrs_are_read_as_a_list_of_networks() -> None:
    settings = load_minimal(appEgressCidrs='["10.0.0.0/8", "2001:db8::/32"]')
    assert settings.app.egress_cidrs == ("10.0.0.0/8", "2001:db8::/32")


@pytest.mark.parametrize("bad", ["10.0.0.1/8", "10.0.0.0", "example.com/24"])
def test_malformed_egress_cidr_is_refused_naming_the_key(bad: str) -> None:
    assert one_problem(appEgressCidrs=[bad]).startswith(f"webstack:appEgressCidrs: {bad!r} is not a network in CIDR")


def test_values_arrive_as_engine_text() -> None:
    # GIVEN what the engine hands over: numbers and booleans as text, arrays as JSON text
    settings = load_minimal(
        appReplicas="3",
        autoscalingEnabled="true",
        appEnv='["LOG_LEVEL=info"]',
        serviceAnnotations='["a.b/c=x=y"]',
    )
    assert settings.app.replicas == 3
    assert settings.app.autoscaling is True
    assert settings.app.env == (("LOG_LEVEL", "info"),)
    assert settings.app.service_annotations == (("a.b/c", "x=y"),)


def test_secret_env_is_loaded_as_secret_str_and_hidden_from_repr() -> None:
    settings = load_minimal(secret_keys=SECRET_ENV, appSecretEnv='["API_TOKEN=hunter2-value"]')
    assert settings.app.secret_env == (("API_TOKEN", SecretStr("hunter2-value")),)
    assert settings.app.secret_env[0][1].reveal() == "hunter2-value"
    assert "hunter2-value" not in repr(settings)
    assert "hunter2-value" not in str(settings)


# --- images and the environment -----------------------------------------------------------


@pytest.mark.parametrize("image", ["nginx:latest", "nginx"])
def test_moving_image_is_allowed_in_dev(image: str) -> None:
    settings = load_minimal(appImage=image)
    assert settings.app.image == image
    assert settings.app.version == "latest"


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_latest_image_is_refused_outside_dev(environment: str) -> None:
    problem = one_problem(environment=environment, appImage="nginx:latest")
    assert problem.startswith("webstack:appImage: 'nginx:latest' does not pin a version (:latest)")


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_untagged_image_is_refused_outside_dev(environment: str) -> None:
    problem = one_problem(environment=environment, appImage="nginx")
    assert problem.startswith("webstack:appImage: 'nginx' does not pin a version (untagged)")


def test_digest_pinned_image_is_allowed_in_prod() -> None:
    digest = "sha256:" + "ab" * 32
    settings = load_minimal(environment="prod", appImage=f"nginx@{digest}")
    assert settings.app.version == "ab" * 6


@pytest.mark.parametrize("image", ["UPPER/case:1", "a:b:c", "ngi nx:1"])
def test_malformed_image_is_refused(image: str) -> None:
    assert one_problem(appImage=image) == (
        f"webstack:appImage: {image!r} is not a valid image reference; use '[registry/]repository:tag' or "
        "'[registry/]repository@sha256:<digest>', e.g. 'ghcr.io/org/app:1.4.2'"
    )


# --- one test per error -------------------------------------------------------------------


@pytest.mark.parametrize("replicas", [0, -1, 101, "0"])
def test_replicas_out_of_range_are_refused(replicas: Any) -> None:
    assert one_problem(appReplicas=replicas).startswith(
        f"webstack:appReplicas: {int(replicas)} is out of range; use a whole number from 1 to 100"
    )


@pytest.mark.parametrize("port", [0, 70000])
def test_port_out_of_range_is_refused(port: int) -> None:
    assert one_problem(appPort=port) == f"webstack:appPort: {port} is out of range; use a whole number from 1 to 65535"


def test_invalid_namespace_name_is_refused() -> None:
    assert one_problem(namespace="Web_NS").startswith("webstack:namespace: 'Web_NS' is not a valid DNS-1123 label")


def test_app_name_starting_with_a_digit_is_refused() -> None:
    # It names the Service, which must be an RFC 1035 label.
    assert one_problem(appName="1web").startswith("webstack:appName: '1web' must start with a letter")


def test_quantity_with_a_wrong_unit_is_refused() -> None:
    assert one_problem(appMemoryLimit="512MB").startswith(
        "webstack:appMemoryLimit: '512MB' is not a Kubernetes quantity"
    )


def test_quantity_with_a_word_unit_is_refused() -> None:
    assert one_problem(appCpuRequest="1.5cores").startswith(
        "webstack:appCpuRequest: '1.5cores' is not a Kubernetes quantity"
    )


def test_bad_quota_quantity_is_refused() -> None:
    assert one_problem(quotaStorage="-1").startswith("webstack:quotaStorage: '-1' must be greater than zero")


def test_request_above_limit_is_refused() -> None:
    assert one_problem(appCpuRequest="2", appCpuLimit="500m") == (
        "webstack:appCpuRequest: the request '2' is above the limit '500m' (webstack:appCpuLimit); "
        "lower the request or raise the limit"
    )


def test_default_request_above_default_limit_is_refused() -> None:
    assert one_problem(defaultMemoryRequest="1Gi").startswith(
        "webstack:defaultMemoryRequest: the request '1Gi' is above the limit '256Mi' (webstack:defaultMemoryLimit)"
    )


def test_unknown_environment_is_refused() -> None:
    assert one_problem(environment="qa") == "webstack:environment: 'qa' is not one of 'dev', 'staging', 'prod'"


@pytest.mark.parametrize("key", ["environment", "appImage"])
def test_missing_required_key_is_refused(key: str) -> None:
    assert one_problem(drop=(key,)).startswith(f"webstack:{key}: is required (")


@pytest.mark.parametrize("key", ["environment", "appImage"])
@pytest.mark.parametrize("blank", ["", "  "])
def test_empty_required_key_is_refused_once(key: str, blank: str) -> None:
    assert one_problem(**{key: blank}) == f"webstack:{key}: must not be empty"


@pytest.mark.parametrize("key", ["namespace", "appHealthPath", "appCpuRequest", "dbName", "metricsPath"])
def test_a_number_for_a_checked_string_is_one_problem_not_two(key: str) -> None:
    # The value is not checked again as '' once it could not be read as a string.
    assert one_problem(**{key: 5}) == f"webstack:{key}: expected a string, got int 5"


def test_text_for_an_integer_is_refused() -> None:
    assert one_problem(appReplicas="abc") == "webstack:appReplicas: expected a whole number from 1 to 100, got 'abc'"


def test_yes_for_a_boolean_is_refused() -> None:
    assert one_problem(autoscalingEnabled="yes") == "webstack:autoscalingEnabled: expected true or false, got 'yes'"


@pytest.mark.parametrize("value", ["LOG_LEVEL=info", {"LOG_LEVEL": "info"}, [1, 2]])
def test_non_list_for_an_array_is_refused(value: Any) -> None:
    assert one_problem(appEnv=value).startswith('webstack:appEnv: expected a list of strings such as ["a", "b"]')


def test_unknown_key_is_refused() -> None:
    assert one_problem(appReplica=3) == (
        "webstack:appReplica: unknown config key; remove it or check the spelling; did you mean webstack:appReplicas?"
    )


def test_plaintext_secret_env_is_refused() -> None:
    problems = minimal_problems(appSecretEnv=["API_TOKEN=hunter2-value"])
    assert problems == [
        "webstack:appSecretEnv: holds plaintext; set it with `pulumi config set --secret` so it is stored encrypted"
    ]


def test_secret_env_entry_without_equals_is_refused_without_showing_it() -> None:
    problems = minimal_problems(secret_keys=SECRET_ENV, appSecretEnv=["hunter2-value"])
    assert problems == ["webstack:appSecretEnv: entry [secret] is not of the form NAME=value"]


def test_secret_env_that_is_not_a_list_is_refused_without_showing_it() -> None:
    problems = minimal_problems(secret_keys=SECRET_ENV, appSecretEnv="API_TOKEN=hunter2-value")
    assert len(problems) == 1
    assert problems[0].startswith('webstack:appSecretEnv: expected a list of strings such as ["a", "b"]')
    assert "hunter2" not in problems[0]


def test_env_name_set_twice_is_refused() -> None:
    problems = minimal_problems(secret_keys=SECRET_ENV, appEnv=["TOKEN=a"], appSecretEnv=["TOKEN=b"])
    assert problems == [
        "webstack:appSecretEnv: variable 'TOKEN' is set twice (in appEnv and appSecretEnv, or repeated); keep one"
    ]


def test_invalid_env_name_is_refused() -> None:
    assert one_problem(appEnv=["LOG-LEVEL=info"]).startswith(
        "webstack:appEnv: 'LOG-LEVEL' is not a valid environment variable name"
    )


def test_max_replicas_below_replicas_is_refused_with_autoscaling() -> None:
    assert one_problem(appReplicas=5, autoscalingEnabled=True, autoscalingMaxReplicas=3) == (
        "webstack:autoscalingMaxReplicas: 3 is below appReplicas (5), the HPA's minimum; raise it to at least 5 or "
        "lower appReplicas"
    )


def test_one_config_error_lists_every_problem_at_once() -> None:
    # GIVEN five independent mistakes WHEN loading THEN one error reports all five
    raw = {
        "environment": "prod",
        "appImage": "nginx:latest",
        "appReplicas": 0,
        "appPort": 70000,
        "appMemoryLimit": "512MB",
        "appReplica": 3,
    }
    with pytest.raises(ConfigError) as caught:
        load_settings(raw, "prod")
    problems = caught.value.problems
    assert len(problems) == 5
    for key in ("appImage", "appReplicas", "appPort", "appMemoryLimit", "appReplica"):
        assert sum(p.startswith(f"webstack:{key}:") for p in problems) == 1, key
    assert str(caught.value).startswith("invalid webstack configuration (5 problems):\n  - webstack:")
