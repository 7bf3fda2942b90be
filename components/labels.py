"""The one place that builds Kubernetes labels for webstack's objects.

Every object carries the recommended ``app.kubernetes.io/*`` labels; selectors use only the
subset that never changes over an object's life (name, instance, component), because a
Deployment's or StatefulSet's selector is immutable and a changed selector means a replacement.
"""

from __future__ import annotations

import re

MANAGED_BY = "pulumi"
DEFAULT_PART_OF = "webstack"
MAX_NAME_LENGTH = 63
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server on every namespace; ``namespace_labels`` sets it too, so policies can rely on it."""
SKIP_AWAIT = "pulumi.com/skipAwait"
"""The Kubernetes provider's annotation for "do not wait for this object to become ready"."""
PATCH_FORCE = "pulumi.com/patchForce"
"""The Kubernetes provider's annotation for "take over fields another field manager set". On the
objects a destroy keeps: the next deployment adopts them under a new field manager (the old one was
in the deleted state), and any field whose value differs by then (a new password, a new version
label) would otherwise fail with a server-side apply conflict against this stack's own past."""
ADOPTED_ANNOTATIONS = {PATCH_FORCE: "true"}

_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def label_value(value: str) -> str:
    """Coerce ``value`` into a valid label value (≤ 63 chars, alphanumeric at both ends).

    Image tags such as ``1.2.3+build`` are not valid label values; the version label is
    informational, so it is sanitised rather than rejected.
    """
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", value)[:MAX_NAME_LENGTH]
    return cleaned.strip("-_.")


def selector_labels(name: str, instance: str, component: str) -> dict[str, str]:
    """The immutable subset used in ``spec.selector`` and NetworkPolicy pod selectors."""
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": instance,
        "app.kubernetes.io/component": component,
    }


def standard_labels(
    name: str,
    instance: str,
    component: str,
    version: str | None = None,
    part_of: str = DEFAULT_PART_OF,
) -> dict[str, str]:
    """All recommended labels: the selector subset plus version, part-of and managed-by."""
    labels = selector_labels(name, instance, component)
    if version:
        version_label = label_value(version)
        if version_label:
            labels["app.kubernetes.io/version"] = version_label
    labels["app.kubernetes.io/part-of"] = part_of
    labels["app.kubernetes.io/managed-by"] = MANAGED_BY
    for key, value in labels.items():
        if not _LABEL_VALUE.fullmatch(value) or len(value) > MAX_NAME_LENGTH:
            raise ValueError(
                f"label {key}={value!r} is not a valid label value: use at most 63 letters, "
                "digits, '-', '_' or '.', starting and ending with a letter or digit"
            )
    return labels


def namespace_labels(namespace: str, name: str, pod_security: str, part_of: str = DEFAULT_PART_OF) -> dict[str, str]:
    """Labels of a Namespace object: recommended labels, its own name, and Pod Security Admission
    enforcing (and warning and auditing) ``pod_security`` at the latest policy version."""
    labels = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/part-of": part_of,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        NAMESPACE_NAME_LABEL: namespace,
    }
    for mode in ("enforce", "warn", "audit"):
        labels[f"pod-security.kubernetes.io/{mode}"] = pod_security
        labels[f"pod-security.kubernetes.io/{mode}-version"] = "latest"
    return labels
