"""Declarative config keys and a reader that collects every error before failing.

The key list is the single source for the settings loader, the ``config:`` block of
``Pulumi.yaml`` and the README's config table (``scripts/gen_config.py`` writes both; a test
checks they are in step).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from components.validation import check_positive_quantity, check_request_within_limit

PROJECT = "webstack"

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
        unknown = sorted(set(raw) - set(self._keys))
        for name in unknown:
            self.problems.append(f"{PROJECT}:{name}: unknown config key; remove it or check the spelling")
        for key in keys:
            if key.secret and raw.get(key.name) not in (None, [], "", "[]") and key.name not in secret_keys:
                self.problems.append(
                    f"{PROJECT}:{key.name}: holds plaintext; set it with `pulumi config set --secret` "
                    "so it is stored encrypted"
                )

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
            self.fail(name, f"expected a string, got {type(value).__name__} {value!r}")
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
            try:
                value = int(value.strip(), 10)
            except ValueError:
                self.fail(name, f"expected a whole number from {low} to {high}, got {value!r}")
                return fallback
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, f"expected a whole number from {low} to {high}, got {value!r}")
            return fallback
        if not low <= value <= high:
            self.fail(name, f"{value} is out of range; use a whole number from {low} to {high}")
            return fallback
        return value

    def boolean(self, name: str) -> bool:
        value = self._value(name)
        default = bool(self._key(name).default) if not self._key(name).required else False
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        if value is not None:
            self.fail(name, f"expected true or false, got {value!r}")
        return default

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        value = self.string(name)
        if value not in choices:
            if value or not self._key(name).required:
                self.fail(name, f"{value!r} is not one of {', '.join(repr(c) for c in choices)}")
            return choices[0]
        return value

    def strings(self, name: str) -> tuple[str, ...]:
        """An array of strings; the engine hands arrays over as JSON text."""
        value = self._value(name)
        # A secret key's value never goes into an error message: it may be the secret itself.
        shown = "a value (not shown: secret key)" if self._key(name).secret else None
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                self.fail(name, f'expected a list of strings such as ["a", "b"], got {shown or repr(value)}')
                return ()
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(name, f'expected a list of strings such as ["a", "b"], got {shown or repr(value)}')
            return ()
        return tuple(value)

    def pairs(self, name: str, secret: bool = False) -> tuple[tuple[str, Any], ...]:
        """A list of ``NAME=value`` strings, as pairs (values wrapped in SecretStr if secret)."""
        out: list[tuple[str, Any]] = []
        for item in self.strings(name):
            key, sep, val = item.partition("=")
            if not sep or not key:
                shown = "[secret]" if secret else repr(item)
                self.fail(name, f"entry {shown} is not of the form NAME=value")
                continue
            out.append((key, SecretStr(val) if secret else val))
        return tuple(out)

    def requests_and_limits(self, keys: Mapping[str, tuple[str, str]]) -> tuple[dict[str, str], dict[str, str]]:
        """Read ``resource -> (request key, limit key)``: positive quantities, each request ≤ its limit."""
        requests: dict[str, str] = {}
        limits: dict[str, str] = {}
        for resource, (req_key, lim_key) in keys.items():
            before = len(self.problems)
            request = self.string(req_key, check_positive_quantity)
            limit = self.string(lim_key, check_positive_quantity)
            requests[resource], limits[resource] = request, limit
            if len(self.problems) == before:  # each amount is fine on its own: compare them
                self.validate(check_request_within_limit, request, limit, self.what(req_key), self.what(lim_key))
        return requests, limits

    def raise_if_problems(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)
