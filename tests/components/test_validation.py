"""components/validation.py: pure checks of plain values (no Pulumi)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from components.validation import (
    ImageRef,
    check_choice,
    check_cidr,
    check_dns_label,
    check_dns_subdomain,
    check_env_name,
    check_hostname,
    check_http_path,
    check_int_range,
    check_pinned_image,
    check_port,
    check_positive_quantity,
    check_request_within_limit,
    parse_image,
    parse_quantity,
)

DIGEST = "sha256:" + "0123456789abcdef" * 4

# --- DNS-1123 label -----------------------------------------------------------------------


@pytest.mark.parametrize("good", ["web", "a", "web-1", "1web", "x" * 63])
def test_dns_label_accepts_valid_labels(good: str) -> None:
    assert check_dns_label(good, "name") == good


@pytest.mark.parametrize("bad", ["Web", "x" * 64, "-web", "web-", "we.b", "we_b", "", "web\n"])
def test_dns_label_refuses_invalid_labels_naming_the_argument(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^Namespace name: .* is not a valid DNS-1123 label; use at most 63"):
        check_dns_label(bad, "Namespace name")


# --- DNS-1123 subdomain -------------------------------------------------------------------


@pytest.mark.parametrize("good", ["web", "web.example", "a-1.b-2.c", ("a" * 63 + ".") * 3 + "a" * 61])
def test_dns_subdomain_accepts_valid_subdomains(good: str) -> None:
    assert check_dns_subdomain(good, "name") == good


@pytest.mark.parametrize("bad", ["Web.example", "-a.b", "a.-b", "a..b", ".a", "a" * 254, "a/b", ""])
def test_dns_subdomain_refuses_invalid_subdomains_naming_the_argument(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^obj: .* is not a valid DNS-1123 subdomain"):
        check_dns_subdomain(bad, "obj")


# --- host names ---------------------------------------------------------------------------


@pytest.mark.parametrize("good", ["app.example.com", "*.example.com", "a-b.example.io"])
def test_hostname_accepts_fqdn_and_a_leading_wildcard(good: str) -> None:
    assert check_hostname(good, "host") == good


@pytest.mark.parametrize(
    "bad",
    [
        "App.example.com",  # uppercase
        "https://app.example.com",  # scheme
        "app.example.com:443",  # port
        "app.example.com/path",  # path
        "10.0.0.1",  # IP address
        "localhost",  # not fully qualified
        "-app.example.com",  # leading '-'
        "x" * 64 + ".example.com",  # a part longer than 63
        "a.*.example.com",  # wildcard not leading
        "*.com",  # wildcard over a single label
    ],
)
def test_hostname_refuses_invalid_hosts_naming_the_argument(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^ingressHost: .* is not a valid DNS host name"):
        check_hostname(bad, "ingressHost")


# --- quantities ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("1.5", Decimal("1.5")),
        ("256Mi", Decimal(256 * 2**20)),
        ("1e3", Decimal(1000)),
        ("1G", Decimal(10**9)),
        ("2Ki", Decimal(2048)),
        (".5", Decimal("0.5")),
        ("100k", Decimal(100_000)),
    ],
)
def test_parse_quantity_reads_kubernetes_quantities(text: str, value: Decimal) -> None:
    assert parse_quantity(text, "q") == value


@pytest.mark.parametrize("bad", ["512MB", "1.5cores", "", "Mi", "1 Gi", "1.2.3", "1e", "500m\n"])
def test_parse_quantity_refuses_malformed_quantities_naming_the_argument(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^WebApp limits\['memory'\]: .* is not a Kubernetes quantity"):
        parse_quantity(bad, "WebApp limits['memory']")


def test_parse_quantity_refuses_an_overflowing_exponent_with_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^q: '1e99999999' is out of range"):
        parse_quantity("1e99999999", "q")


@pytest.mark.parametrize("bad", ["-1", "0", "0m"])
def test_positive_quantity_refuses_zero_and_negative(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^quota\['pods'\]: .* must be greater than zero"):
        check_positive_quantity(bad, "quota['pods']")


def test_positive_quantity_returns_the_parsed_amount() -> None:
    assert check_positive_quantity("250m", "q") == Decimal("0.25")


def test_request_within_limit_accepts_equal_and_lower_across_units() -> None:
    check_request_within_limit("500m", "0.5", "req", "lim")
    check_request_within_limit("1Gi", "1100M", "req", "lim")


def test_request_above_limit_is_refused_naming_both() -> None:
    with pytest.raises(ValueError, match=r"^req cpu: the request '2' is above the limit '500m' \(lim cpu\)"):
        check_request_within_limit("2", "500m", "req cpu", "lim cpu")


# --- images -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "ref"),
    [
        ("nginx:1.27", ImageRef("nginx", "1.27", None)),
        ("ghcr.io/org/app:1.4.2", ImageRef("ghcr.io/org/app", "1.4.2", None)),
        (f"localhost:5000/a/b@{DIGEST}", ImageRef("localhost:5000/a/b", None, DIGEST)),
        ("registry.example.com:5000/team/app:v2", ImageRef("registry.example.com:5000/team/app", "v2", None)),
        ("Registry.Example.com/app:1", ImageRef("Registry.Example.com/app", "1", None)),
        ("nginx", ImageRef("nginx", None, None)),
    ],
)
def test_parse_image_splits_valid_references(image: str, ref: ImageRef) -> None:
    assert parse_image(image, "image") == ref


@pytest.mark.parametrize(
    "bad",
    ["UPPER/case:1", "MyOrg/app:1", "a:b:c", "", "nginx :1", "ngi nx:1", "app:", "app@sha256:12", "nginx:1.27\n"],
)
def test_parse_image_refuses_invalid_references_naming_the_argument(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^WebApp image: .* is not a valid image reference"):
        parse_image(bad, "WebApp image")


def test_image_version_is_the_tag_else_the_short_digest() -> None:
    assert parse_image("nginx:1.27", "i").version == "1.27"
    assert parse_image(f"nginx@{DIGEST}", "i").version == "0123456789ab"
    assert parse_image("nginx", "i").version == ""


@pytest.mark.parametrize("good", ["nginx:1.27", f"nginx@{DIGEST}", f"nginx:latest@{DIGEST}"])
def test_pinned_image_accepts_a_version_tag_or_a_digest(good: str) -> None:
    assert check_pinned_image(good, "appImage").name == "nginx"


def test_pinned_image_refuses_latest() -> None:
    with pytest.raises(ValueError, match=r"^appImage: 'nginx:latest' does not pin a version \(:latest\)"):
        check_pinned_image("nginx:latest", "appImage")


def test_pinned_image_refuses_an_untagged_image() -> None:
    with pytest.raises(ValueError, match=r"^appImage: 'nginx' does not pin a version \(untagged\)"):
        check_pinned_image("nginx", "appImage")


# --- ports, integers, env names, paths, choices -------------------------------------------


@pytest.mark.parametrize("good", [1, 80, 8080, 65535])
def test_port_accepts_1_to_65535(good: int) -> None:
    assert check_port(good, "port") == good


@pytest.mark.parametrize("bad", [0, -1, 65536, 70000, True, "80", 80.0])
def test_port_refuses_out_of_range_and_non_integers(bad: object) -> None:
    with pytest.raises(ValueError, match=r"^WebApp port: .* is not a valid port; use a whole number from 1 to 65535"):
        check_port(bad, "WebApp port")  # type: ignore[arg-type]


def test_int_range_accepts_bounds_and_refuses_outside() -> None:
    assert check_int_range(1, "n", 1, 3) == 1
    assert check_int_range(3, "n", 1, 3) == 3
    with pytest.raises(ValueError, match=r"^replicas: 4 is out of range; use a whole number from 1 to 3"):
        check_int_range(4, "replicas", 1, 3)


@pytest.mark.parametrize("good", ["LOG_LEVEL", "_x", "a1", "Path"])
def test_env_name_accepts_identifiers(good: str) -> None:
    assert check_env_name(good, "env") == good


@pytest.mark.parametrize("bad", ["1ABC", "LOG-LEVEL", "A B", "", "A=B", "A\n"])
def test_env_name_refuses_non_identifiers_naming_the_argument(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^WebApp env: .* is not a valid environment variable name"):
        check_env_name(bad, "WebApp env")


@pytest.mark.parametrize("good", ["/", "/health", "/api/v1/ready?full=1"])
def test_http_path_accepts_absolute_paths(good: str) -> None:
    assert check_http_path(good, "path") == good


@pytest.mark.parametrize("bad", ["health", "", "/he alth", "http://x/health", "/health\n"])
def test_http_path_refuses_relative_or_spaced_paths_naming_the_argument(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^WebApp health_path: .* is not an HTTP path"):
        check_http_path(bad, "WebApp health_path")


def test_choice_accepts_a_listed_value_and_refuses_others() -> None:
    assert check_choice("a", "kind", ("a", "b")) == "a"
    with pytest.raises(ValueError, match=r"^kind: 'c' is not one of 'a', 'b'"):
        check_choice("c", "kind", ("a", "b"))


def test_image_tag_with_a_non_ascii_letter_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^v: .* is not a valid image reference"):
        parse_image("nginx:1.2\u00e9", "v")


def test_quantity_in_non_ascii_digits_is_refused() -> None:
    # GIVEN '500m' in Arabic-Indic digits, which Python's \d and Decimal() both accept
    with pytest.raises(ValueError, match=r"^v: .* is not a Kubernetes quantity"):
        parse_quantity("\u0665\u0660\u0660m", "v")


# --- CIDR ---------------------------------------------------------------------------------


@pytest.mark.parametrize("good", ["10.0.0.0/8", "203.0.113.7/32", "0.0.0.0/0", "2001:db8::/32"])
def test_cidr_accepts_networks(good: str) -> None:
    assert check_cidr(good, "x") == good


@pytest.mark.parametrize("bad", ["10.0.0.1/8", "10.0.0.0", "10.0.0.0/33", "", "net/8", 8])
def test_cidr_refuses_host_bits_missing_prefix_and_garbage_naming_the_argument(bad: object) -> None:
    with pytest.raises(ValueError, match=r"^egress: .* is not a network in CIDR notation"):
        check_cidr(bad, "egress")  # type: ignore[arg-type]
