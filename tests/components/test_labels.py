"""components/labels.py: the recommended labels and the immutable selector subset (pure)."""

from __future__ import annotations

import pytest

from components.labels import label_value, selector_labels, standard_labels

SIX = {
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
    "app.kubernetes.io/version",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
}


def test_standard_labels_are_the_six_recommended_labels() -> None:
    # GIVEN a name, instance, component and version WHEN labels are built
    labels = standard_labels("web", "webstack-dev", "web", "1.4.2")
    # THEN all six recommended labels are there with the expected values
    assert labels == {
        "app.kubernetes.io/name": "web",
        "app.kubernetes.io/instance": "webstack-dev",
        "app.kubernetes.io/component": "web",
        "app.kubernetes.io/version": "1.4.2",
        "app.kubernetes.io/part-of": "webstack",
        "app.kubernetes.io/managed-by": "pulumi",
    }
    assert set(labels) == SIX


def test_part_of_can_be_overridden() -> None:
    assert standard_labels("web", "i", "web", part_of="shop")["app.kubernetes.io/part-of"] == "shop"


def test_version_label_is_left_out_when_no_version_is_given() -> None:
    assert "app.kubernetes.io/version" not in standard_labels("web", "i", "web")


def test_selector_is_the_immutable_subset_only() -> None:
    # GIVEN the full labels and the selector of the same object
    labels = standard_labels("web", "webstack-dev", "web", "1.4.2")
    selector = selector_labels("web", "webstack-dev", "web")
    # THEN the selector is name/instance/component, a subset of the labels, without version
    assert selector == {
        "app.kubernetes.io/name": "web",
        "app.kubernetes.io/instance": "webstack-dev",
        "app.kubernetes.io/component": "web",
    }
    assert selector.items() <= labels.items()
    assert "app.kubernetes.io/version" not in selector


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.2.3+build.7", "1.2.3_build.7"),  # '+' is not allowed in a label value
        ("-rc1-", "rc1"),  # must start and end with an alphanumeric character
        ("v" * 80, "v" * 63),  # at most 63 characters
        ("sha256:abcdef", "sha256_abcdef"),
    ],
)
def test_version_is_sanitised_into_a_valid_label_value(version: str, expected: str) -> None:
    assert label_value(version) == expected
    assert standard_labels("web", "i", "web", version)["app.kubernetes.io/version"] == expected


def test_version_that_sanitises_to_nothing_is_left_out() -> None:
    assert "app.kubernetes.io/version" not in standard_labels("web", "i", "web", "+++")


@pytest.mark.parametrize("bad", ["-web", "web-", "has space", "x" * 64, "web\n"])
def test_invalid_label_value_is_refused_naming_the_label(bad: str) -> None:
    with pytest.raises(ValueError, match=r"label app\.kubernetes\.io/part-of=.* is not a valid label value"):
        standard_labels("web", "i", "web", part_of=bad)
