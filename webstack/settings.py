"""The typed, validated settings of one stack: the only module that reads ``pulumi.Config``.

``load_settings`` is a pure function from raw config values to a frozen ``Settings``; it
collects every bad key and raises one ``ConfigError`` before any resource is registered.
``read_raw_config`` is the thin edge that pulls those raw values out of the Pulumi engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi.runtime.config as runtime_config

from components.validation import check_dns_label, shown
from webstack.config import app, core, database, fit, platform, routing, runtime
from webstack.config.spec import PROJECT, ConfigError, Key, Reader

ALL_KEYS: tuple[Key, ...] = core.KEYS + app.KEYS + database.KEYS + platform.KEYS + routing.KEYS + runtime.KEYS


@dataclass(frozen=True)
class Settings:
    stack: str
    environment: str
    namespace: core.NamespaceSettings
    app: app.AppSettings
    database: database.DatabaseSettings
    platform: platform.PlatformSettings
    runtime: runtime.RuntimeSettings
    routing: routing.RoutingSettings

    @property
    def instance(self) -> str:
        """The ``app.kubernetes.io/instance`` label: one install of webstack per stack."""
        return f"{PROJECT}-{self.stack}"[:63].rstrip("-")


def load_settings(
    raw: Mapping[str, Any],
    stack: str,
    secret_keys: frozenset[str] = frozenset(),
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Validate raw config (bare key → value) for ``stack``; raise ConfigError listing all problems.

    ``secret_keys`` names the keys the engine holds encrypted; ``environ`` holds the render and
    local-cluster switches (see ``webstack.config.runtime``).
    """
    environ = environ or {}
    try:
        overrides, early = runtime.local_app_overrides(environ), []
    except ConfigError as err:  # reported with everything else, in the one error
        overrides, early = {}, err.problems
    r = Reader({**raw, **overrides}, ALL_KEYS, secret_keys)
    r.problems[:0] = early
    environment = core.parse_environment(r)
    namespace = core.parse_namespace(r)
    app_settings = app.parse(r, environment)
    database_settings = database.parse(r, environment)
    platform_settings = platform.parse(r, environment)
    settings = Settings(
        stack=stack,
        environment=environment,
        namespace=namespace,
        app=app_settings,
        database=database_settings,
        platform=platform_settings,
        runtime=runtime.parse(r, environ),
        routing=routing.parse(
            r, platform_settings.ingress.controller, app_settings.service_type, tuple(platform_settings.installed)
        ),
    )
    database.check_app_env(r, [name for name, _ in (*settings.app.env, *settings.app.secret_env)], settings.database)
    platform.check_namespaces(r, settings.platform, settings.namespace.name)
    fit.check(r, settings)
    try:
        check_dns_label(settings.instance, "instance")
    except ValueError:
        r.problems.append(
            f"stack {shown(stack)}: gives the instance label {shown(settings.instance)}, which must be a DNS-1123 "
            "label; name the stack with lowercase letters, digits and '-' (e.g. `pulumi stack init prod`)"
        )
    r.raise_if_problems()
    return settings


def read_raw_config() -> tuple[dict[str, Any], frozenset[str]]:
    """Every ``webstack:`` key the engine passes in, as raw text, and which of them are secret.

    Keys under other namespaces come along by full name with the value ``None`` (never read):
    the loader flags those meant for this project (``web:appReplicas``, ``webstak:appImage``).
    """
    prefix = f"{PROJECT}:"
    # The language host hands config over in-process; PULUMI_CONFIG is the older channel.
    every = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    names = sorted(n for n in every if n.startswith(prefix))
    raw: dict[str, Any] = {name[len(prefix) :]: runtime_config.get_config(name) for name in names}
    raw.update((name, None) for name in sorted(every) if not name.startswith(prefix))
    secret = frozenset(name[len(prefix) :] for name in names if runtime_config.is_config_secret(name))
    return raw, secret


__all__ = ["ALL_KEYS", "ConfigError", "Settings", "load_settings", "read_raw_config"]
