"""The settings' exact lexical rules and cross-field checks: one test per message, literal expectations.

Every value here is refused by ``load_settings`` (pure, no mocks) with the key named as
``webstack:<key>``; ``tests/webstack/test_main.py`` shows the same refusal registers nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.webstack.loading import MINIMAL, load_minimal, minimal_problems, one_problem
from webstack.config.spec import ConfigError
from webstack.settings import load_settings

DIGEST = "sha256:" + "0123456789abcdef" * 4

# --- numbers, booleans and key names ------------------------------------------------------


@pytest.mark.parametrize("text", ["３", "٣", "1_0", " 3", "3\n", "+3", "3.0", "0x3", "9" * 19])
def test_integer_text_other_than_ascii_digits_is_refused(text: str) -> None:
    assert one_problem(appReplicas=text) == f"webstack:appReplicas: expected a whole number from 1 to 100, got {text!r}"


@pytest.mark.parametrize("text", ["3", "10", "007"])
def test_integer_text_of_ascii_digits_is_read(text: str) -> None:
    assert load_minimal(appReplicas=text).app.replicas == int(text)


@pytest.mark.parametrize("text", ["True", "TRUE", " true", "true\n", "1"])
def test_boolean_text_other_than_true_or_false_is_refused(text: str) -> None:
    assert one_problem(autoscalingEnabled=text) == f"webstack:autoscalingEnabled: expected true or false, got {text!r}"


def test_misspelt_key_names_the_closest_key() -> None:
    assert one_problem(dbstoragesize="5Gi") == (
        "webstack:dbstoragesize: unknown config key; remove it or check the spelling; did you mean "
        "webstack:dbStorageSize?"
    )


def test_unknown_key_far_from_any_key_gets_no_suggestion() -> None:
    assert one_problem(colour="blue") == "webstack:colour: unknown config key; remove it or check the spelling"


def test_key_under_another_namespace_is_refused_naming_the_right_key() -> None:
    assert one_problem(**{"web:appReplicas": None}) == (
        "web:appReplicas: is not read: the project's config keys start with 'webstack:', not 'web:'; set it as "
        "webstack:appReplicas and remove the old key"
    )


def test_key_under_a_misspelt_project_name_is_refused() -> None:
    assert one_problem(**{"webstak:appReplica": None}) == (
        "webstak:appReplica: is not read: the project's config keys start with 'webstack:', not 'webstak:'; use "
        "the 'webstack:' namespace; did you mean webstack:appReplicas? and remove the old key"
    )


@pytest.mark.parametrize("name", ["kubernetes:namespace", "random:seed", "pulumi:tags", "aws:region"])
def test_provider_config_keys_are_left_alone(name: str) -> None:
    assert load_minimal(**{name: None}).stack == "test"


# --- quantities ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["appMemoryLimit", "dbMemoryRequest", "quotaLimitsMemory", "quotaStorage"])
def test_fractional_bytes_are_refused(key: str) -> None:
    problems = minimal_problems(**{key: "500m"})
    assert (
        f"webstack:{key}: '500m' is not a whole number of bytes (the suffix m means thousandths); use a binary "
        "suffix such as '512Mi' or '2Gi', or a decimal one such as '500M'"
    ) in problems


def test_cpu_finer_than_a_millicore_is_refused() -> None:
    assert one_problem(appCpuRequest="0.0001") == (
        "webstack:appCpuRequest: '0.0001' is finer than a millicore, which Kubernetes rounds up; use whole "
        "millicores such as '250m' or cores such as '0.5' or '2'"
    )


@pytest.mark.parametrize("value", ["１Gi", "1Gi\n", "1 Gi", "1gi"])
def test_quantity_with_non_ascii_digits_or_whitespace_is_refused(value: str) -> None:
    assert one_problem(appMemoryLimit=value).startswith(
        f"webstack:appMemoryLimit: {value!r} is not a Kubernetes quantity"
    )


# --- images, paths, annotations, networks -------------------------------------------------


@pytest.mark.parametrize(
    "digest",
    ["sha256:" + "a" * 63, "sha256:" + "a" * 65, "sha256:" + "A" * 64, "md5:" + "a" * 32, "sha256:" + "g" * 64],
)
def test_image_digest_of_the_wrong_length_case_or_algorithm_is_refused(digest: str) -> None:
    assert one_problem(appImage=f"nginx@{digest}").startswith(
        f"webstack:appImage: 'nginx@{digest}' is not a valid image reference"
    )


@pytest.mark.parametrize("digest", [DIGEST, "sha512:" + "ab" * 64])
def test_image_digest_of_a_known_algorithm_is_accepted(digest: str) -> None:
    assert load_minimal(environment="prod", appImage=f"nginx@{digest}").app.image == f"nginx@{digest}"


@pytest.mark.parametrize("path", ["/health z", "/hé", "health", "/a\n", "/%zz"])
def test_probe_path_outside_url_characters_is_refused(path: str) -> None:
    assert one_problem(appHealthPath=path).startswith(f"webstack:appHealthPath: {path!r} is not an HTTP path")


@pytest.mark.parametrize(
    "key", ["my key", "-a", "a-", "example.com/", "Example.com/a", "a/b/c", "x" * 64, "é", "a\n", "/a"]
)
def test_annotation_key_that_is_not_a_qualified_name_is_refused(key: str) -> None:
    assert one_problem(serviceAnnotations=[f"{key}=v"]).startswith(
        f"webstack:serviceAnnotations: {key!r} is not a valid annotation or label key"
    )


def test_annotation_set_twice_is_refused() -> None:
    assert one_problem(serviceAnnotations=["a=1", "a=2"]) == (
        "webstack:serviceAnnotations: 'a' is set twice; set each annotation once"
    )


def test_a_long_bad_value_is_shown_cut_with_its_length() -> None:
    assert one_problem(namespace="A" * 70_000) == (
        f"webstack:namespace: '{'A' * 80}'... (70000 characters) is not a valid DNS-1123 label; use at most 63 "
        "lowercase letters, digits and '-', starting and ending with a letter or digit"
    )


def test_annotations_over_256_kib_are_refused() -> None:
    assert one_problem(serviceAnnotations=["a=" + "x" * (256 * 1024)]) == (
        "webstack:serviceAnnotations: the annotations take 262145 bytes; Kubernetes allows 262144 bytes for all "
        "annotations of an object together"
    )


@pytest.mark.parametrize(
    ("cidr", "address"),
    [
        ("169.254.169.254/32", "169.254.169.254"),
        ("169.254.0.0/16", "169.254.169.254"),
        ("169.254.169.0/24", "169.254.169.254"),
        ("fd00:ec2::254/128", "fd00:ec2::254"),
        ("fd00:ec2::/64", "fd00:ec2::254"),
    ],
)
def test_egress_network_that_only_reaches_the_metadata_address_is_refused(cidr: str, address: str) -> None:
    assert one_problem(appEgressCidrs=[cidr]) == (
        f"webstack:appEgressCidrs: {cidr!r} holds the cloud instance metadata address {address}, which hands out "
        "the node's credentials; drop it (a wide network such as '0.0.0.0/0' is fine: the address is carved out of it)"
    )


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0", "169.0.0.0/8", "fd00::/8", "169.254.0.0/24"])
def test_wide_or_unrelated_egress_network_is_accepted(cidr: str) -> None:
    assert load_minimal(appEgressCidrs=[cidr]).app.egress_cidrs == (cidr,)


def test_egress_network_listed_twice_is_refused() -> None:
    assert one_problem(appEgressCidrs=["10.0.0.0/8", "10.0.0.0/8"]) == (
        "webstack:appEgressCidrs: lists a network twice; list each network once"
    )


@pytest.mark.parametrize("cidr", ["１0.0.0.0/8", "10.0.0.0/8\n"])
def test_egress_network_with_non_ascii_digits_or_a_newline_is_refused(cidr: str) -> None:
    assert one_problem(appEgressCidrs=[cidr]).startswith(
        f"webstack:appEgressCidrs: {cidr!r} is not a network in CIDR notation"
    )


# --- database names, cron, Secret key -----------------------------------------------------


@pytest.mark.parametrize("name", ["pg_app", "public", "none", "postgres", "pg_"])
def test_role_name_postgresql_reserves_is_refused(name: str) -> None:
    assert one_problem(dbUser=name).startswith(f"webstack:dbUser: {name!r} ")
    assert one_problem(dbUser=name).endswith("; choose another name such as 'app'")


def test_reserved_role_message_says_why() -> None:
    assert one_problem(dbUser="pg_monitor") == (
        "webstack:dbUser: 'pg_monitor' is reserved by PostgreSQL ('public', 'none' and names starting with 'pg_'); "
        "choose another name such as 'app'"
    )


@pytest.mark.parametrize("key", ["dbUser", "dbName"])
@pytest.mark.parametrize("word", ["user", "select", "current_user", "session_user", "current_role", "table"])
def test_reserved_sql_word_as_a_name_is_refused(key: str, word: str) -> None:
    assert one_problem(**{key: word}) == (
        f"webstack:{key}: {word!r} is a reserved word in PostgreSQL's SQL grammar; choose another name such as 'app'"
    )


@pytest.mark.parametrize("name", ["template0", "template1"])
def test_template_database_name_is_refused(name: str) -> None:
    assert one_problem(dbName=name) == (
        f"webstack:dbName: {name!r} is a template database every cluster already has; choose another name such as 'app'"
    )


@pytest.mark.parametrize("name", ["app\n", "ａpp", "app$"])
def test_postgres_name_with_a_trailing_newline_or_non_ascii_is_refused(name: str) -> None:
    assert one_problem(dbName=name).startswith(f"webstack:dbName: {name!r} is not a plain PostgreSQL name")


@pytest.mark.parametrize("name", ["app", "orders_2", "_x", "users", "postgres_app"])
def test_plain_unreserved_names_are_accepted(name: str) -> None:
    settings = load_minimal(dbName=name, dbUser=name)
    assert (settings.database.name, settings.database.user) == (name, name)


@pytest.mark.parametrize("schedule", ["0 ３ * * *", "0 3 * * *\n", " 0 3 * * *", "0\t3 * * *", "0 3 * * ٣"])
def test_cron_schedule_with_non_ascii_digits_or_stray_whitespace_is_refused(schedule: str) -> None:
    assert one_problem(dbBackupSchedule=schedule).startswith(f"webstack:dbBackupSchedule: {schedule!r} is not a")


@pytest.mark.parametrize("key", ["pass word", "..password", ".", "pässword", "a" * 254, "key\n"])
def test_secret_key_outside_kubernetes_syntax_is_refused(key: str) -> None:
    problem = one_problem(dbGeneratePassword=False, dbExistingSecret="db-creds", dbExistingSecretKey=key)
    # A long value is shown cut to 80 characters, with its length.
    seen = repr(key) if len(key) <= 80 else f"'{'a' * 80}'... (254 characters)"
    assert problem == (
        f"webstack:dbExistingSecretKey: {seen} is not a Secret key; use at most 253 ASCII letters, digits, '-', "
        "'_' or '.', not '.' and not starting with '..' (e.g. 'password')"
    )


@pytest.mark.parametrize("key", ["password", "db.password", "PG_PASS-1", "a" * 253])
def test_secret_key_in_kubernetes_syntax_is_accepted(key: str) -> None:
    settings = load_minimal(dbGeneratePassword=False, dbExistingSecret="db-creds", dbExistingSecretKey=key)
    assert settings.database.existing_secret_key == key


# --- cross-field --------------------------------------------------------------------------

# Small workloads whose totals are easy to check by hand: app 100m/200m CPU, 100Mi/200Mi memory;
# database 200m/400m, 200Mi/400Mi; backup job 50m/500m, 64Mi/256Mi; exporter 10m/100m, 32Mi/64Mi.
SMALL: dict[str, Any] = {
    "appCpuRequest": "100m",
    "appCpuLimit": "200m",
    "appMemoryRequest": "100Mi",
    "appMemoryLimit": "200Mi",
    "dbCpuRequest": "200m",
    "dbCpuLimit": "400m",
    "dbMemoryRequest": "200Mi",
    "dbMemoryLimit": "400Mi",
}


def test_quota_below_the_cpu_the_workloads_request_is_refused_with_the_sum() -> None:
    # 4 app pods (3 + 1 surge) × 100m + 200m + backup 50m = 650m
    assert one_problem(**SMALL, appReplicas=3, quotaRequestsCpu="600m") == (
        "webstack:quotaRequestsCpu: '600m' is less than the workloads take at their peak: 650m = app 4 pods "
        "(appReplicas 3 + 1 rolling-update surge) × 100m + database 200m + backup job 50m; raise it to at least "
        "'650m' or lower those amounts (the pods over the quota would never start)"
    )


def test_quota_counts_the_hpa_maximum_and_the_exporter() -> None:
    # 11 app pods (10 + 1) × 200Mi = 2200Mi + 400Mi + exporter 64Mi + backup 256Mi = 2920Mi
    problem = one_problem(
        **SMALL, autoscalingEnabled=True, autoscalingMaxReplicas=10, dbMetricsEnabled=True, quotaLimitsMemory="2Gi"
    )
    assert problem == (
        "webstack:quotaLimitsMemory: '2Gi' is less than the workloads take at their peak: 2920Mi = app 11 pods "
        "(autoscalingMaxReplicas 10 + 1 rolling-update surge) × 200Mi + database 400Mi + metrics exporter 64Mi + "
        "backup job 256Mi; raise it to at least '2920Mi' or lower those amounts (the pods over the quota would "
        "never start)"
    )


def test_quota_that_holds_the_workloads_exactly_is_accepted() -> None:
    assert load_minimal(**SMALL, appReplicas=3, quotaRequestsCpu="650m").namespace.quota["requests.cpu"] == "650m"


def test_quota_without_the_database_counts_only_the_app() -> None:
    # 3 app pods (2 + 1) × 100m = 300m
    assert one_problem(**SMALL, dbEnabled=False, quotaRequestsCpu="250m").startswith(
        "webstack:quotaRequestsCpu: '250m' is less than the workloads take at their peak: 300m = app 3 pods "
        "(appReplicas 2 + 1 rolling-update surge) × 100m; raise it"
    )


def test_storage_quota_below_the_volumes_is_refused() -> None:
    assert one_problem(dbStorageSize="10Gi", dbBackupStorageSize="20Gi", quotaStorage="25Gi") == (
        "webstack:quotaStorage: '25Gi' is less than the workloads take at their peak: 30Gi = database volume 10Gi + "
        "backup volume 20Gi; raise it to at least '30Gi' or lower those amounts (the pods over the quota would "
        "never start)"
    )


def test_pod_quota_below_the_peak_pod_count_is_refused() -> None:
    assert one_problem(appReplicas=5, quotaPods=6) == (
        "webstack:quotaPods: 6 is less than the pods the workloads run at their peak: 8 = app 6 pods (appReplicas "
        "5 + 1 rolling-update surge) + database 1 + backup job 1; raise it to at least 8"
    )


def test_quota_is_not_compared_with_an_amount_that_is_itself_wrong() -> None:
    # Only the bad amount is reported, not a sum built on it.
    assert one_problem(appCpuRequest="lots", quotaRequestsCpu="1m") == (
        "webstack:appCpuRequest: 'lots' is not a Kubernetes quantity; use a number with an optional suffix: m for "
        "milli-CPU ('500m'), Ki/Mi/Gi/Ti for bytes ('512Mi', '10Gi'), or k/M/G/T for decimal units ('1G')"
    )


def test_metrics_port_equal_to_the_service_port_is_refused() -> None:
    assert one_problem(metricsEnabled=True, metricsPort=80) == (
        "webstack:metricsPort: 80 is already the app Service's http port; a Service cannot expose two ports with one "
        "number: choose another port, or 0 to scrape the app port (8080)"
    )


def test_metrics_port_equal_to_the_app_port_is_the_http_port() -> None:
    assert load_minimal(metricsEnabled=True, metricsPort=8080).platform.metrics.port == 8080


def test_metrics_port_without_metrics_is_refused_as_ignored() -> None:
    assert one_problem(metricsPort=9100) == (
        "webstack:metricsPort: 9100 is set but metricsEnabled is false, so nothing serves or scrapes it; set "
        "metricsEnabled to true or remove metricsPort"
    )


def test_hard_spread_of_a_single_replica_is_refused() -> None:
    assert one_problem(appReplicas=1, spreadPolicy="DoNotSchedule") == (
        "webstack:spreadPolicy: 'DoNotSchedule' spreads nothing with appReplicas 1 and autoscalingEnabled false (one "
        "pod has no peer to keep apart from); raise appReplicas to 2 or more, or use 'ScheduleAnyway'"
    )


def test_hard_spread_of_an_autoscaled_single_replica_is_accepted() -> None:
    settings = load_minimal(appReplicas=1, autoscalingEnabled=True, spreadPolicy="DoNotSchedule")
    assert settings.app.spread_policy == "DoNotSchedule"


@pytest.mark.parametrize("stack", ["My_Stack", "Prod", "dev.eu"])
def test_stack_name_that_makes_no_instance_label_is_refused(stack: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(MINIMAL, stack)
    assert caught.value.problems == [
        f"stack {stack!r}: gives the instance label 'webstack-{stack}', which must be a DNS-1123 label; name the "
        "stack with lowercase letters, digits and '-' (e.g. `pulumi stack init prod`)"
    ]


def test_a_huge_whole_number_is_refused_without_printing_it() -> None:
    assert one_problem(appReplicas=10**5000) == (
        "webstack:appReplicas: a whole number of 16610 bits is out of range; use a whole number from 1 to 100"
    )


def test_a_list_holding_a_huge_whole_number_is_refused_without_printing_it() -> None:
    assert one_problem(appEnv=[10**5000]) == (
        'webstack:appEnv: expected a list of strings such as ["a", "b"], got a list too large to show'
    )
