"""Pure checks for plain values, shared by the settings loader and the components.

Each ``check_*`` function raises ``ValueError`` whose message names ``what`` (a config key or a
component argument), shows the bad value and says how to fix it. Nothing here touches Pulumi.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import NamedTuple

# Matched with fullmatch: '$' alone also matches before a trailing newline ('web\n').
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(\d+(\.\d*)?|\.\d+))(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$", re.ASCII
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
# The grammar of distribution/reference, simplified to what a pod's image field accepts. As in
# Docker's name normalisation, the first part is a registry only if it has a '.' or a port or is
# 'localhost'; otherwise it is a (lowercase) repository component, so 'MyOrg/app' is refused.
# ASCII only: Python's \w and \d would otherwise admit non-ASCII letters and digits.
_REGISTRY_PART = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_IMAGE = re.compile(
    rf"^(?P<name>(?:(?:(?:localhost|{_REGISTRY_PART}(?:\.{_REGISTRY_PART})+)(?::[0-9]+)?|{_REGISTRY_PART}:[0-9]+)/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$",
    re.ASCII,
)

DNS_LABEL_FIX = "use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"


class ImageRef(NamedTuple):
    name: str
    tag: str | None
    digest: str | None

    @property
    def version(self) -> str:
        """The tag, else the short digest: what the version label shows."""
        if self.tag:
            return self.tag
        return (self.digest or "").split(":")[-1][:12]


def check_dns_label(value: str, what: str) -> str:
    if not isinstance(value, str) or not _DNS_LABEL.fullmatch(value) or len(value) > 63:
        raise ValueError(f"{what}: {value!r} is not a valid DNS-1123 label; {DNS_LABEL_FIX}")
    return value


def check_dns1035_label(value: str, what: str) -> str:
    """A DNS-1123 label that starts with a letter: what a Service name must be."""
    check_dns_label(value, what)
    if not value[0].isalpha():
        raise ValueError(f"{what}: {value!r} must start with a letter (it names a Service, an RFC 1035 label)")
    return value


def check_cidr(value: str, what: str) -> str:
    """An IPv4 or IPv6 network in CIDR notation with no host bits set, e.g. ``10.20.0.0/16``."""
    try:
        network = ipaddress.ip_network(value, strict=True) if isinstance(value, str) and "/" in value else None
    except ValueError:
        network = None
    if network is None:
        raise ValueError(
            f"{what}: {value!r} is not a network in CIDR notation; use an address and a prefix length with "
            "no host bits set, such as '10.20.0.0/16', '203.0.113.7/32' or '0.0.0.0/0'"
        )
    return value


def check_email(value: str, what: str) -> str:
    """An email address, e.g. ``ops@example.com``: one '@', a dotted domain, no spaces."""
    if not isinstance(value, str) or not _EMAIL.fullmatch(value):
        raise ValueError(f"{what}: {value!r} is not an email address; use one such as ops@example.com")
    return value


def check_dns_subdomain(value: str, what: str) -> str:
    if not isinstance(value, str) or not _DNS_SUBDOMAIN.fullmatch(value) or len(value) > 253:
        raise ValueError(
            f"{what}: {value!r} is not a valid DNS-1123 subdomain; use lowercase letters, digits, "
            "'-' and '.', at most 253 characters, each dot-separated part starting and ending "
            "with a letter or digit"
        )
    return value


def check_hostname(value: str, what: str) -> str:
    """A fully qualified host name for an Ingress rule; a leading ``*.`` wildcard is allowed."""
    host = value[2:] if isinstance(value, str) and value.startswith("*.") else value
    if (
        not isinstance(host, str)
        or "." not in host
        or not _DNS_SUBDOMAIN.fullmatch(host)
        or len(value) > 253
        or any(len(part) > 63 for part in host.split("."))
        or host.replace(".", "").isdigit()
    ):
        raise ValueError(
            f"{what}: {value!r} is not a valid DNS host name; use a lowercase fully qualified "
            "name such as 'app.example.com' (an optional leading '*.' wildcard), no IP address, "
            "scheme, port or path"
        )
    return value


def parse_quantity(value: str, what: str) -> Decimal:
    """Parse a Kubernetes resource quantity (``500m``, ``1.5``, ``256Mi``, ``1e3``)."""
    match = _QUANTITY.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(
            f"{what}: {value!r} is not a Kubernetes quantity; use a number with an optional "
            "suffix: m for milli-CPU ('500m'), Ki/Mi/Gi/Ti for bytes ('512Mi', '10Gi'), or "
            "k/M/G/T for decimal units ('1G')"
        )
    number = Decimal(match["number"])
    suffix = match["suffix"] or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    try:
        return number * Decimal(10) ** int(suffix[1:])
    except (ArithmeticError, ValueError) as err:  # decimal.Overflow, or an exponent too long for int()
        raise ValueError(f"{what}: {value!r} is out of range; use a realistic amount such as '1e3'") from err


def check_positive_quantity(value: str, what: str) -> Decimal:
    amount = parse_quantity(value, what)
    if amount <= 0:
        raise ValueError(f"{what}: {value!r} must be greater than zero")
    return amount


def check_request_within_limit(request: str, limit: str, what_request: str, what_limit: str) -> None:
    if parse_quantity(request, what_request) > parse_quantity(limit, what_limit):
        raise ValueError(
            f"{what_request}: the request {request!r} is above the limit {limit!r} "
            f"({what_limit}); lower the request or raise the limit"
        )


def check_requests_and_limits(
    requests: Mapping[str, str], limits: Mapping[str, str], what_requests: str, what_limits: str
) -> None:
    """Container requests and limits: every amount a positive quantity on its own (a negative
    request is "within" any limit), then each request at most its limit. Errors name the amount as
    ``<what_requests>['cpu']`` or ``<what_limits>['cpu']``."""
    for what, amounts in ((what_requests, requests), (what_limits, limits)):
        for resource, amount in amounts.items():
            check_positive_quantity(amount, f"{what}[{resource!r}]")
    for resource in sorted(set(requests) & set(limits)):
        check_request_within_limit(
            requests[resource], limits[resource], f"{what_requests}[{resource!r}]", f"{what_limits}[{resource!r}]"
        )


def parse_image(value: str, what: str) -> ImageRef:
    match = _IMAGE.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(
            f"{what}: {value!r} is not a valid image reference; use "
            "'[registry/]repository:tag' or '[registry/]repository@sha256:<digest>', e.g. "
            "'ghcr.io/org/app:1.4.2'"
        )
    return ImageRef(match["name"], match["tag"], match["digest"])


def check_pinned_image(value: str, what: str) -> ImageRef:
    """An image with a fixed version: a tag other than ``latest``, or a digest."""
    ref = parse_image(value, what)
    if ref.digest is None and (ref.tag is None or ref.tag == "latest"):
        raise ValueError(
            f"{what}: {value!r} does not pin a version ({'untagged' if ref.tag is None else ':latest'}); "
            "use an explicit version tag such as ':1.4.2' or a digest '@sha256:...'"
        )
    return ref


def check_port(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValueError(f"{what}: {value!r} is not a valid port; use a whole number from 1 to 65535")
    return value


def check_int_range(value: int, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{what}: {value!r} is out of range; use a whole number from {low} to {high}")
    return value


def check_env_name(value: str, what: str) -> str:
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
        raise ValueError(
            f"{what}: {value!r} is not a valid environment variable name; use letters, digits "
            "and '_', not starting with a digit"
        )
    return value


def check_http_path(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.startswith("/") or any(c.isspace() for c in value):
        raise ValueError(f"{what}: {value!r} is not an HTTP path; use an absolute path such as '/health'")
    return value


def check_choice(value: str, what: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{what}: {value!r} is not one of {', '.join(repr(c) for c in choices)}")
    return value
