"""Pure checks for plain values, shared by the settings loader and the components.

Each ``check_*`` function raises ``ValueError`` whose message names ``what`` (a config key or a
component argument), shows the bad value and says how to fix it. Nothing here touches Pulumi.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

# Matched with fullmatch ('$' alone also matches before a trailing newline: 'web\n') and
# re.ASCII (Python's \d and \w would otherwise admit non-ASCII digits and letters).
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", re.ASCII)
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", re.ASCII)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
# RFC 5322's dot-atom local part (printable ASCII but specials), as the ACME server takes it.
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*", re.ASCII)
# The name part of a qualified name (label and annotation keys): Kubernetes' qualifiedNameFmt.
_QUALIFIED_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?", re.ASCII)
# ConfigMap and Secret data keys: Kubernetes' configMapKeyFmt.
_SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]+", re.ASCII)
# An RFC 3986 path: pchar ('unreserved', 'sub-delims', ':', '@', '%XX') and '/'.
_URL_PATH = re.compile(r"/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*", re.ASCII)
_URL_QUERY = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*", re.ASCII)
# What the API server refuses in an Ingress path of type Prefix or Exact.
_INGRESS_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
_INGRESS_PATH_SUFFIXES = ("/..", "/.")
# The annotations of one object together: Kubernetes' TotalAnnotationSizeLimitB.
MAX_ANNOTATIONS_BYTES = 256 * 1024
# Cloud instance metadata services (AWS, GCP, Azure on IPv4; AWS on IPv6) and the special-purpose
# blocks that hold them: a network inside such a block that holds the address has no use but the
# address (wider networks get it carved out by WebApp's NetworkPolicy).
METADATA_NETWORKS = (
    (ipaddress.ip_address("169.254.169.254"), ipaddress.ip_network("169.254.0.0/16")),
    (ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_network("fd00:ec2::/32")),
)
_QUANTITY = re.compile(
    r"(?P<number>[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+))(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?", re.ASCII
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
    rf"(?P<name>(?:(?:(?:localhost|{_REGISTRY_PART}(?:\.{_REGISTRY_PART})+)(?::[0-9]+)?|{_REGISTRY_PART}:[0-9]+)/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128}))?",
    re.ASCII,
)

DNS_LABEL_FIX = "use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"


def shown(value: object, limit: int = 80) -> str:
    """``repr(value)`` for a message, cut to ``limit`` characters with the full length said: a
    hostile 64 KiB value makes an unreadable message and costs a copy per message."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value)} characters)"
    if isinstance(value, int) and value.bit_length() > 64:
        return f"a whole number of {value.bit_length()} bits"
    try:
        text = repr(value)
    except ValueError:  # Python refuses to print a whole number of over 4300 digits
        return f"a {type(value).__name__} too large to show"
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


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
    if not isinstance(value, str) or len(value) > 63 or not _DNS_LABEL.fullmatch(value):
        raise ValueError(f"{what}: {shown(value)} is not a valid DNS-1123 label; {DNS_LABEL_FIX}")
    return value


def check_dns1035_label(value: str, what: str) -> str:
    """A DNS-1123 label that starts with a letter: what a Service name must be."""
    check_dns_label(value, what)
    if not value[0].isalpha():
        raise ValueError(f"{what}: {shown(value)} must start with a letter (it names a Service, an RFC 1035 label)")
    return value


def check_cidr(value: str, what: str) -> str:
    """An IPv4 or IPv6 network in CIDR notation with no host bits set, e.g. ``10.20.0.0/16``."""
    try:
        # ASCII and short: ipaddress would read non-ASCII digits ('１０.0.0.0/8') as numbers.
        plain = isinstance(value, str) and value.isascii() and "/" in value and len(value) <= 64
        network = ipaddress.ip_network(value, strict=True) if plain else None
    except ValueError:
        network = None
    if network is None:
        raise ValueError(
            f"{what}: {shown(value)} is not a network in CIDR notation; use an address and a prefix length with "
            "no host bits set, such as '10.20.0.0/16', '203.0.113.7/32' or '0.0.0.0/0'"
        )
    return value


def check_email(value: str, what: str) -> str:
    """An email address, e.g. ``ops@example.com``: a dot-atom local part, one '@', a DNS domain
    with at least one dot; ASCII, at most 254 characters (RFC 5321)."""
    local, at, domain = value.rpartition("@") if isinstance(value, str) else ("", "", "")
    if (
        not at
        or len(value) > 254
        or len(local) > 64
        or not _EMAIL_LOCAL.fullmatch(local)
        or "." not in domain
        or not _is_dns_subdomain(domain.lower())
    ):
        raise ValueError(f"{what}: {shown(value)} is not an email address; use one such as ops@example.com")
    return value


def _is_dns_subdomain(value: str) -> bool:
    return len(value) <= 253 and _DNS_SUBDOMAIN.fullmatch(value) is not None


def check_dns_subdomain(value: str, what: str) -> str:
    if not isinstance(value, str) or not _is_dns_subdomain(value):
        raise ValueError(
            f"{what}: {shown(value)} is not a valid DNS-1123 subdomain; use lowercase letters, digits, "
            "'-' and '.', at most 253 characters, each dot-separated part starting and ending "
            "with a letter or digit"
        )
    return value


def check_hostname(value: str, what: str) -> str:
    """A fully qualified host name for an Ingress rule; a leading ``*.`` wildcard is allowed."""
    host = value[2:] if isinstance(value, str) and value.startswith("*.") else value
    if (
        not isinstance(host, str)
        or len(value) > 253
        or "." not in host
        or not _DNS_SUBDOMAIN.fullmatch(host)
        or any(len(part) > 63 for part in host.split("."))
        or host.replace(".", "").isdigit()
    ):
        raise ValueError(
            f"{what}: {shown(value)} is not a valid DNS host name; use a lowercase fully qualified "
            "name such as 'app.example.com' (an optional leading '*.' wildcard), no IP address, "
            "scheme, port or path"
        )
    return value


def parse_quantity(value: str, what: str) -> Decimal:
    """Parse a Kubernetes resource quantity (``500m``, ``1.5``, ``256Mi``, ``1e3``)."""
    match = _QUANTITY.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(
            f"{what}: {shown(value)} is not a Kubernetes quantity; use a number with an optional "
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
        raise ValueError(f"{what}: {shown(value)} is out of range; use a realistic amount such as '1e3'") from err


def check_positive_quantity(value: str, what: str) -> Decimal:
    amount = parse_quantity(value, what)
    if amount <= 0:
        raise ValueError(f"{what}: {shown(value)} must be greater than zero")
    return amount


def check_cpu_quantity(value: str, what: str) -> Decimal:
    """A positive amount of CPU in whole millicores: Kubernetes rounds finer amounts up to 1m."""
    amount = check_positive_quantity(value, what)
    if amount * 1000 != (amount * 1000).to_integral_value():
        raise ValueError(
            f"{what}: {shown(value)} is finer than a millicore, which Kubernetes rounds up; use whole millicores "
            "such as '250m' or cores such as '0.5' or '2'"
        )
    return amount


def check_byte_quantity(value: str, what: str) -> Decimal:
    """A positive, whole number of bytes (memory or storage): '500m' would be half a byte."""
    amount = check_positive_quantity(value, what)
    if amount != amount.to_integral_value():
        raise ValueError(
            f"{what}: {shown(value)} is not a whole number of bytes (the suffix m means thousandths); use a binary "
            "suffix such as '512Mi' or '2Gi', or a decimal one such as '500M'"
        )
    return amount


def check_request_within_limit(request: str, limit: str, what_request: str, what_limit: str) -> None:
    if parse_quantity(request, what_request) > parse_quantity(limit, what_limit):
        raise ValueError(
            f"{what_request}: the request {shown(request)} is above the limit {shown(limit)} "
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
            f"{what}: {shown(value)} is not a valid image reference; use "
            "'[registry/]repository:tag' or '[registry/]repository@sha256:<digest>', e.g. "
            "'ghcr.io/org/app:1.4.2'"
        )
    return ImageRef(match["name"], match["tag"], match["digest"])


def check_pinned_image(value: str, what: str) -> ImageRef:
    """An image with a fixed version: a tag other than ``latest``, or a digest."""
    ref = parse_image(value, what)
    if ref.digest is None and (ref.tag is None or ref.tag == "latest"):
        raise ValueError(
            f"{what}: {shown(value)} does not pin a version ({'untagged' if ref.tag is None else ':latest'}); "
            "use an explicit version tag such as ':1.4.2' or a digest '@sha256:...'"
        )
    return ref


def check_port(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValueError(f"{what}: {shown(value)} is not a valid port; use a whole number from 1 to 65535")
    return value


def check_int_range(value: int, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{what}: {shown(value)} is out of range; use a whole number from {low} to {high}")
    return value


def check_env_name(value: str, what: str) -> str:
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
        raise ValueError(
            f"{what}: {shown(value)} is not a valid environment variable name; use letters, digits "
            "and '_', not starting with a digit"
        )
    return value


def check_http_path(value: str, what: str) -> str:
    """An absolute URL path with an optional query, in RFC 3986 characters (ASCII, no spaces;
    anything else percent-encoded), e.g. ``/health`` or ``/ready?full=1``."""
    path, question, query = value.partition("?") if isinstance(value, str) else ("", "", "")
    if not _URL_PATH.fullmatch(path) or (question and not _URL_QUERY.fullmatch(query)):
        raise ValueError(
            f"{what}: {shown(value)} is not an HTTP path; use an absolute path such as '/health' in URL characters "
            "(ASCII letters, digits, '-._~!$&'()*+,;=:@/' and %XX escapes; no spaces)"
        )
    return value


def check_ingress_path(value: str, what: str) -> str:
    """A path an Ingress of pathType Prefix accepts: an absolute RFC 3986 path without a query, and
    without what the API server refuses ('//', '/./', '/../', '%2f'; a '/.' or '/..' ending)."""
    if (
        not isinstance(value, str)
        or not _URL_PATH.fullmatch(value)
        or any(seq in value for seq in _INGRESS_PATH_SEQUENCES)
        or value.endswith(_INGRESS_PATH_SUFFIXES)
    ):
        raise ValueError(
            f"{what}: {shown(value)} is not a path an Ingress accepts; use an absolute path such as '/' or '/api' in "
            "URL characters (no spaces, query or '#'), without '//', '/./', '/../' or '%2f' and not ending in "
            "'/.' or '/..'"
        )
    return value


def check_qualified_name(value: str, what: str) -> str:
    """A label or annotation key: ``[prefix/]name``, the prefix a DNS-1123 subdomain, the name at
    most 63 characters of ASCII letters, digits, '-', '_' and '.', starting and ending alphanumeric."""
    prefix, slash, name = value.rpartition("/") if isinstance(value, str) else ("", "", "")
    if (
        not isinstance(value, str)
        or len(name) > 63
        or not _QUALIFIED_NAME.fullmatch(name)
        or (slash and not _is_dns_subdomain(prefix))
    ):
        raise ValueError(
            f"{what}: {shown(value)} is not a valid annotation or label key; use [prefix/]name, the name at most 63 "
            "ASCII letters, digits, '-', '_' or '.', starting and ending with a letter or digit, the optional "
            "prefix a DNS subdomain such as 'example.com'"
        )
    return value


def check_annotations(annotations: Sequence[tuple[str, str]], what: str) -> None:
    """Annotation keys are qualified names, each set once, and keys plus values stay within the
    API server's 256 KiB for one object."""
    seen: set[str] = set()
    size = 0
    for key, value in annotations:
        check_qualified_name(key, what)
        if key in seen:
            raise ValueError(f"{what}: {shown(key)} is set twice; set each annotation once")
        seen.add(key)
        size += len(key.encode()) + len(value.encode())
    if size > MAX_ANNOTATIONS_BYTES:
        raise ValueError(
            f"{what}: the annotations take {size} bytes; Kubernetes allows {MAX_ANNOTATIONS_BYTES} bytes for all "
            "annotations of an object together"
        )


def check_secret_key(value: str, what: str) -> str:
    """A key of a Secret's data: at most 253 of ASCII letters, digits, '-', '_' and '.', not '.' and
    not starting with '..' (Kubernetes' IsConfigMapKey)."""
    if (
        not isinstance(value, str)
        or len(value) > 253
        or not _SECRET_KEY.fullmatch(value)
        or value.startswith("..")
        or value == "."
    ):
        raise ValueError(
            f"{what}: {shown(value)} is not a Secret key; use at most 253 ASCII letters, digits, '-', '_' or '.', "
            "not '.' and not starting with '..' (e.g. 'password')"
        )
    return value


def check_egress_cidr(value: str, what: str) -> str:
    """A network for egress: CIDR notation, and not a network whose only use is a cloud metadata
    address (the address itself, or a part of its link-local or provider block that holds it)."""
    check_cidr(value, what)
    network = ipaddress.ip_network(value)
    for address, block in METADATA_NETWORKS:
        if network.version == block.version and address in network and network.subnet_of(block):  # type: ignore[arg-type]
            raise ValueError(
                f"{what}: {shown(value)} holds the cloud instance metadata address {address}, which hands out the "
                "node's credentials; drop it (a wide network such as '0.0.0.0/0' is fine: the address is carved "
                "out of it)"
            )
    return value


def check_choice(value: str, what: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{what}: {shown(value)} is not one of {', '.join(repr(c) for c in choices)}")
    return value


# PostgreSQL's reserved key words (kwlist.h: RESERVED_KEYWORD and TYPE_FUNC_NAME_KEYWORD): as a
# bare name they are a syntax error, so a name among them always needs quoting.
PG_RESERVED_WORDS = frozenset(
    {
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "authorization",
        "binary",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "collation",
        "column",
        "concurrently",
        "constraint",
        "create",
        "cross",
        "current_catalog",
        "current_date",
        "current_role",
        "current_schema",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "freeze",
        "from",
        "full",
        "grant",
        "group",
        "having",
        "ilike",
        "in",
        "initially",
        "inner",
        "intersect",
        "into",
        "is",
        "isnull",
        "join",
        "lateral",
        "leading",
        "left",
        "like",
        "limit",
        "localtime",
        "localtimestamp",
        "natural",
        "not",
        "notnull",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "outer",
        "overlaps",
        "placing",
        "primary",
        "references",
        "returning",
        "right",
        "select",
        "session_user",
        "similar",
        "some",
        "symmetric",
        "system_user",
        "table",
        "tablesample",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "variadic",
        "verbose",
        "when",
        "where",
        "window",
        "with",
    }
)
# Role names PostgreSQL refuses in CREATE ROLE ('public', 'none'; the 'pg_' prefix), and the
# conventional administrator name, which the app's own role must not take.
PG_RESERVED_ROLES = frozenset({"public", "none", "postgres"})
PG_RESERVED_ROLE_PREFIX = "pg_"
# Databases every cluster already has: the templates new databases are copied from.
PG_RESERVED_DATABASES = frozenset({"template0", "template1"})


def check_pg_unreserved(value: str, what: str) -> str:
    """A PostgreSQL name that is not a reserved key word (those always need quoting)."""
    if value in PG_RESERVED_WORDS:
        raise ValueError(
            f"{what}: {shown(value)} is a reserved word in PostgreSQL's SQL grammar; choose another name such as 'app'"
        )
    return value


def check_pg_role_name(value: str, what: str) -> str:
    """The app's role: not a name PostgreSQL reserves for roles, nor the administrator's."""
    check_pg_unreserved(value, what)
    if value in PG_RESERVED_ROLES or value.startswith(PG_RESERVED_ROLE_PREFIX):
        reason = (
            "is the administrator role's name; the app gets a role of its own"
            if value == "postgres"
            else "is reserved by PostgreSQL ('public', 'none' and names starting with 'pg_')"
        )
        raise ValueError(f"{what}: {shown(value)} {reason}; choose another name such as 'app'")
    return value


def check_pg_database_name(value: str, what: str) -> str:
    """The app's database: not a reserved word nor one of the template databases."""
    check_pg_unreserved(value, what)
    if value in PG_RESERVED_DATABASES:
        raise ValueError(
            f"{what}: {shown(value)} is a template database every cluster already has; choose another name "
            "such as 'app'"
        )
    return value
