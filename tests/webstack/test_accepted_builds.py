"""Whatever the settings accept, the components build: no component refuses a value after other
resources were registered (hypothesis over edge values of many keys at once, under the mocks)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.harness import install_mocks, stack_config, synth
from webstack.config.spec import ConfigError
from webstack.settings import load_settings
from webstack.stack import build_stack

# Edge values, each valid alone: the longest names, the port numbers other parts use, odd paths.
EDGES: dict[str, list[Any]] = {
    "appName": ["w", "a" * 63, "a-" * 31 + "a"],
    "namespace": ["n", "x" * 63],
    "appPort": [1, 80, 5432, 9187, 65535],
    "appReplicas": [1, 2, 100],
    "autoscalingEnabled": [True, False],
    "autoscalingMaxReplicas": [1, 100, 1000],
    "metricsEnabled": [True, False],
    "metricsPort": [0, 1, 80, 8080, 9187, 65535],
    "metricsPath": ["/", "/a?b=c"],
    "appHealthPath": ["/", "/h?x=1", "/%41"],
    "serviceAnnotations": [[], ["a/b=c"], ["x" * 63 + "=v"], [("a." * 100)[:250] + "/b=v"]],
    "ingressEnabled": [True, False],
    "ingressHosts": [["a.b"], ["*.example.com"], [("a" * 63 + ".") * 3 + "com"]],
    "ingressPaths": [["/"], ["/a", "/b"], ["/" + "a" * 1000]],
    "tlsIssuer": ["", "selfsigned", "none"],
    "tlsSecretName": ["", "t", "a" * 253],
    "ingressClassName": ["", "a" * 253],
    "appEnv": [[], ["A=b"], ["A" * 200 + "=x"]],
    "appEgressCidrs": [[], ["0.0.0.0/0"], ["::/0"], ["169.254.0.0/15"], ["fd00::/16"]],
    "dbName": ["a", "a" * 63],
    "dbUser": ["u", "u" * 63],
    "dbExistingSecret": ["", "s", "a" * 253],
    "dbGeneratePassword": [True, False],
    "dbExistingSecretKey": ["password", "a" * 253, ".a"],
    "dbBackupSchedule": ["@daily", "*/5 * * * *", "0 0 31 2 *"],
    "dbMetricsEnabled": [True, False],
    "dbBackupEnabled": [True, False],
    "dbEnabled": [True, False],
    "spreadPolicy": ["ScheduleAnyway", "DoNotSchedule"],
    "ingressNamespace": ["i", "x" * 63],
    "monitoringNamespace": ["m", "y" * 63],
    "certManagerNamespace": ["c", "z" * 63],
    "acmeEmail": ["", "a@b.co", "x" * 64 + "@" + "b" * 60 + ".com"],
    "appImage": ["x/y:1", "a" * 200 + ":1", "localhost:5000/a@sha256:" + "a" * 64, "x/y:" + "v" * 128],
    "platformMonitoring": [True, False],
    "platformCertManager": [True, False],
    "platformIngressController": [True, False],
    "ingressController": ["traefik", "ingress-nginx"],
    "podSecurity": ["restricted", "baseline", "privileged"],
}
# A quota that holds any of these: the quota fit has its own tests.
ROOMY = {
    "quotaRequestsCpu": "1000",
    "quotaLimitsCpu": "1000",
    "quotaRequestsMemory": "10Ti",
    "quotaLimitsMemory": "10Ti",
    "quotaStorage": "100Ti",
    "quotaPods": 10000,
}
overrides = st.lists(
    st.sampled_from(sorted(EDGES)).flatmap(lambda key: st.tuples(st.just(key), st.sampled_from(EDGES[key]))),
    min_size=1,
    max_size=8,
).map(dict)


@settings(max_examples=max(10, settings.default.max_examples // 6))
@given(st.sampled_from(["dev", "staging", "prod"]), overrides)
def test_every_accepted_configuration_builds_without_a_component_error(stack: str, changes: dict[str, Any]) -> None:
    raw = {**stack_config(stack), **changes, **ROOMY}
    try:
        loaded = load_settings(raw, stack)
    except ConfigError:
        return  # refused at the edge, naming the key: what the settings are for
    recorder = install_mocks(stack=stack)
    synth(lambda: build_stack(loaded))
    assert recorder.resources
