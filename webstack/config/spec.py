"""Declarative config keys and a reader that collects every error before failing.

The key list is the single source for the settings loader, the ``config:`` block of
``Pulumi.yaml`` and the README's config table (``scripts/gen_config.py`` writes both; a test
checks they are in step).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from components.validation import check_byte_quantity, check_cpu_quantity, check_request_within_limit, shown

PROJECT = "webstack"
# Config namespaces of the providers the program uses: their keys are not this project's.
PROVIDER_NAMESPACES = frozenset({"kubernetes", "random", "pulumi"})
# A whole number as Kubernetes and the engine write it: ASCII digits ('١٢' and '1_000' are not).
_INTEGER = re.compile(r"-?[0-9]{1,18}", re.ASCII)
# Longest key name worth a spelling suggestion (the longest key has 26 characters).
_SUGGEST_MAX = 64

ConfigType = Literal["string", "integer", "boolean", "array"]
T = TypeVar("T")


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Key:
    """One project config key. ``default`` is REQUIRED when no sensible default exists."""

    name: str
    type: ConfigType
    description: str
    default: Any = REQUIRED
    secret: bool = False
    """Values must be set with ``pulumi config set --secret``; the loader refuses plaintext ones.
    Not declared ``secret: true`` in Pulumi.yaml: the engine rejects a secret key with a default."""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


class ConfigError(ValueError):
    """Every bad config value at once, each line naming the key and the expected form."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"invalid webstack configuration ({len(self.problems)} problem"
            f"{'s' if len(self.problems) != 1 else ''}):\n{lines}\n"
            "Fix with `pulumi config set webstack:<key> <value>` (add `--path` for nested keys)."
        )


def shown_name(name: str, limit: int = 80) -> str:
    """A key name for messages, cut to ``limit`` characters."""
    return name if len(name) <= limit else f"{name[:limit]}... ({len(name)} characters)"


def suggest(name: str, names: Sequence[str]) -> str:
    """``; did you mean webstack:<key>?`` for the closest key name, or ``''``."""
    if len(name) > _SUGGEST_MAX:
        return ""
    lowered = {n.lower(): n for n in names}
    match = lowered.get(name.lower()) or next(
        iter(difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.75)), None
    )
    return f"; did you mean {PROJECT}:{lowered.get(match, match)}?" if match else ""


class SecretStr:
    """A config secret in memory: never shown by repr/str, revealed only into a Pulumi secret."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('[secret]')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class Reader:
    """Typed access to raw config strings that records problems instead of raising.

    ``raw`` maps bare key names to what the engine hands over: strings for scalars (numbers and
    booleans arrive as text) and JSON text for arrays; already-typed values are accepted too, so
    the tests can feed a stack file's YAML in directly.
    """

    def __init__(self, raw: Mapping[str, Any], keys: Sequence[Key], secret_keys: frozenset[str] = frozenset()) -> None:
        self._raw = raw
        self._secret_keys = secret_keys
        self._keys = {k.name: k for k in keys}
        self.problems: list[str] = []
        unknown = sorted(str(name) for name in set(raw) - set(self._keys))
        for name in unknown:
            if ":" in name:
                self._foreign(name)
                continue
            self.problems.append(
                f"{PROJECT}:{shown_name(name)}: unknown config key; remove it or check the spelling"
                f"{suggest(name, list(self._keys))}"
            )
        for key in keys:
            if key.secret and raw.get(key.name) not in (None, [], "", "[]") and key.name not in secret_keys:
                self.problems.append(
                    f"{PROJECT}:{key.name}: holds plaintext; set it with `pulumi config set --secret` "
                    "so it is stored encrypted"
                )

    def _foreign(self, name: str) -> None:
        """A config key under another namespace: this program never reads it. Flag the ones that
        were meant for it (a webstack key name, or a namespace spelled like the project)."""
        namespace, _, bare = name.partition(":")
        if namespace in PROVIDER_NAMESPACES:
            return
        close = len(namespace) <= _SUGGEST_MAX and (
            namespace.lower() == PROJECT or difflib.SequenceMatcher(None, namespace.lower(), PROJECT).ratio() >= 0.75
        )
        if bare in self._keys or close:
            fix = (
                f"set it as {PROJECT}:{bare}"
                if bare in self._keys
                else f"use the '{PROJECT}:' namespace{suggest(bare, list(self._keys))}"
            )
            self.problems.append(
                f"{shown_name(name)}: is not read: the project's config keys start with '{PROJECT}:', not "
                f"{shown(namespace + ':')}; {fix} and remove the old key"
            )

    def is_secret(self, name: str) -> bool:
        """The engine holds this key's value encrypted."""
        return name in self._secret_keys

    def _key(self, name: str) -> Key:
        return self._keys[name]

    def fail(self, name: str, message: str) -> None:
        self.problems.append(f"{PROJECT}:{name}: {message}")

    @staticmethod
    def what(name: str) -> str:
        """How error messages name a key: ``webstack:<key>``."""
        return f"{PROJECT}:{name}"

    def check(self, check: Callable[[], T], fallback: T) -> T:
        """Run a pure ``check`` whose ValueError names the key; record it and return ``fallback``."""
        try:
            return check()
        except ValueError as err:
            self.problems.append(str(err))
            return fallback

    def validate(self, check: Callable[..., object], *args: Any) -> bool:
        """Call a pure ``check(*args)``; record its ValueError (which names the key) and say if it passed."""
        try:
            check(*args)
        except ValueError as err:
            self.problems.append(str(err))
            return False
        return True

    def _value(self, name: str) -> Any:
        key = self._key(name)
        if name in self._raw and self._raw[name] is not None:
            return self._raw[name]
        if key.required:
            self.fail(name, f"is required ({key.description}); set it in Pulumi.<stack>.yaml")
            return None
        return key.default

    def string(self, name: str, check: Callable[[str, str], object] | None = None) -> str:
        """A string key; with ``check``, also the pure ``check(value, "webstack:<name>")``, whose
        ValueError is recorded. A value that could not be read is reported once, unchecked."""
        before = len(self.problems)
        value = self._string(name)
        if check is not None and len(self.problems) == before:
            self.validate(check, value, self.what(name))
        return value

    def _string(self, name: str) -> str:
        value = self._value(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            got = "a value (not shown: secret key)" if self._key(name).secret else shown(value)
            self.fail(name, f"expected a string, got {type(value).__name__} {got}")
            return ""
        if self._key(name).required and not value.strip():
            self.fail(name, "must not be empty")
            return ""
        return value

    def integer(self, name: str, low: int, high: int) -> int:
        value = self._value(name)
        fallback = max(low, min(high, self._key(name).default if isinstance(self._key(name).default, int) else low))
        if value is None:
            return fallback
        if isinstance(value, str):
            if not _INTEGER.fullmatch(value):
                self.fail(name, f"expected a whole number from {low} to {high}, got {shown(value)}")
                return fallback
            value = int(value, 10)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, f"expected a whole number from {low} to {high}, got {shown(value)}")
            return fallback
        if not low <= value <= high:
            self.fail(name, f"{shown(value)} is out of range; use a whole number from {low} to {high}")
            return fallback
        return value

    def boolean(self, name: str) -> bool:
        value = self._value(name)
        default = bool(self._key(name).default) if not self._key(name).required else False
        if isinstance(value, bool):
            return value
        # As the engine writes a boolean: exactly 'true' or 'false'.
        if isinstance(value, str) and value in ("true", "false"):
            return value == "true"
        if value is not None:
            self.fail(name, f"expected true or false, got {shown(value)}")
        return default

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        value = self.string(name)
        if value not in choices:
            if value or not self._key(name).required:
                self.fail(name, f"{shown(value)} is not one of {', '.join(repr(c) for c in choices)}")
            return choices[0]
        return value

    def strings(self, name: str) -> tuple[str, ...]:
        """An array of strings; the engine hands arrays over as JSON text."""
        value = self._value(name)
        # A secret key's value never goes into an error message: it may be the secret itself.
        hidden = "a value (not shown: secret key)" if self._key(name).secret else None
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except (json.JSONDecodeError, RecursionError):
                self.fail(name, f'expected a list of strings such as ["a", "b"], got {hidden or shown(value)}')
                return ()
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(name, f'expected a list of strings such as ["a", "b"], got {hidden or shown(value)}')
            return ()
        return tuple(value)

    def pairs(self, name: str, secret: bool = False) -> tuple[tuple[str, Any], ...]:
        """A list of ``NAME=value`` strings, as pairs (values wrapped in SecretStr if secret)."""
        out: list[tuple[str, Any]] = []
        for item in self.strings(name):
            key, sep, val = item.partition("=")
            if not sep or not key:
                self.fail(name, f"entry {'[secret]' if secret else shown(item)} is not of the form NAME=value")
                continue
            out.append((key, SecretStr(val) if secret else val))
        return tuple(out)

    def requests_and_limits(self, keys: Mapping[str, tuple[str, str]]) -> tuple[dict[str, str], dict[str, str]]:
        """Read ``resource -> (request key, limit key)``: positive quantities (whole millicores of
        CPU, whole bytes of memory), each request ≤ its limit."""
        requests: dict[str, str] = {}
        limits: dict[str, str] = {}
        for resource, (req_key, lim_key) in keys.items():
            before = len(self.problems)
            check = check_cpu_quantity if resource == "cpu" else check_byte_quantity
            request = self.string(req_key, check)
            limit = self.string(lim_key, check)
            requests[resource], limits[resource] = request, limit
            if len(self.problems) == before:  # each amount is fine on its own: compare them
                self.validate(check_request_within_limit, request, limit, self.what(req_key), self.what(lim_key))
        return requests, limits

    def ok(self, *names: str) -> bool:
        """No problem recorded so far for any of these keys: a cross-field check may read them."""
        prefixes = tuple(f"{self.what(name)}:" for name in names)
        return not any(problem.startswith(prefixes) for problem in self.problems)

    def raise_if_problems(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)
