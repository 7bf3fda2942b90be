"""webstack/config/database.py: the db* keys, parsed without mocks.

One test per default and one per error; every error is a ConfigError problem naming ``webstack:<key>``.
"""

from __future__ import annotations

from typing import Any

import pytest

from components import postgres as component
from components.validation import parse_quantity
from tests.harness import stack_config
from tests.webstack.loading import MINIMAL, load_minimal, one_problem
from webstack.config import database
from webstack.config.database import DatabaseSettings
from webstack.settings import load_settings


def _db(**raw: Any) -> DatabaseSettings:
    return load_minimal(**raw).database


# -- defaults ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("enabled", True),
        ("name", "app"),
        ("user", "app"),
        ("image", "postgres:17.6-alpine"),
        ("storage_size", "10Gi"),
        ("storage_class", None),
        ("access_modes", ("ReadWriteOnce",)),
        ("requests", {"cpu": "250m", "memory": "256Mi"}),
        ("limits", {"cpu": "1", "memory": "1Gi"}),
        ("protect", True),
        ("generate_password", True),
        ("existing_secret", None),
        ("existing_secret_key", "password"),
        ("backup_enabled", True),
        ("backup_schedule", "0 3 * * *"),
        ("backup_storage_size", "20Gi"),
        ("backup_retention_days", 7),
        ("metrics_enabled", False),
        ("metrics_image", "quay.io/prometheuscommunity/postgres-exporter:v0.17.1"),
    ],
)
def test_default(field: str, expected: Any) -> None:
    assert getattr(_db(), field) == expected


def test_every_key_is_prefixed_db_and_documented() -> None:
    for key in database.KEYS:
        assert key.name.startswith("db"), key.name
        assert key.description.endswith("."), key.name
        assert not key.required, f"{key.name}: every database key has a default"


def test_image_defaults_match_the_component() -> None:
    assert _db().image == component.DEFAULT_IMAGE
    assert _db().metrics_image == component.DEFAULT_EXPORTER_IMAGE


def test_secure_defaults_protect_and_back_up() -> None:
    db = _db()
    assert db.protect
    assert db.backup_enabled
    assert db.generate_password


# -- values are read -----------------------------------------------------------------------------


def test_values_are_read_from_config_text() -> None:
    db = _db(
        dbName="shop",
        dbUser="shop_rw",
        dbStorageSize="50Gi",
        dbStorageClass="fast-ssd",
        dbAccessModes='["ReadWriteOncePod"]',
        dbCpuRequest="500m",
        dbMemoryLimit="2Gi",
        dbProtect="false",
        dbBackupEnabled="false",
        dbBackupSchedule="@hourly",
        dbBackupRetentionDays="30",
        dbMetricsEnabled="true",
    )
    assert (db.name, db.user, db.storage_size, db.storage_class) == ("shop", "shop_rw", "50Gi", "fast-ssd")
    assert db.access_modes == ("ReadWriteOncePod",)
    assert db.requests["cpu"] == "500m"
    assert db.limits["memory"] == "2Gi"
    assert db.protect is False
    assert db.backup_enabled is False
    assert db.backup_schedule == "@hourly"
    assert db.backup_retention_days == 30
    assert db.metrics_enabled is True


def test_existing_secret_with_generation_off() -> None:
    db = _db(dbExistingSecret="pg-creds", dbExistingSecretKey="pw", dbGeneratePassword=False)
    assert (db.existing_secret, db.existing_secret_key, db.generate_password) == ("pg-creds", "pw", False)


# -- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"dbStorageSize": "lots"}, "webstack:dbStorageSize: 'lots' is not a Kubernetes quantity"),
        ({"dbStorageSize": "-1Gi"}, "webstack:dbStorageSize: '-1Gi' must be greater than zero"),
        ({"dbStorageSize": "100m"}, "webstack:dbStorageSize: '100m' is not a whole number of bytes"),
        ({"dbBackupStorageSize": "20GB"}, "webstack:dbBackupStorageSize: '20GB' is not a Kubernetes quantity"),
        ({"dbStorageClass": "Fast SSD"}, "webstack:dbStorageClass: 'Fast SSD' is not a valid DNS-1123 subdomain"),
        ({"dbStorageClass": "-ssd"}, "webstack:dbStorageClass: '-ssd' is not a valid DNS-1123 subdomain"),
        ({"dbAccessModes": '["RWO"]'}, "webstack:dbAccessModes: 'RWO' is not an access mode"),
        ({"dbAccessModes": "[]"}, "webstack:dbAccessModes: () must be a non-empty list of access modes"),
        ({"dbAccessModes": '["ReadOnlyMany"]'}, "webstack:dbAccessModes: ['ReadOnlyMany'] is read-only"),
        (
            {"dbExistingSecret": "pg-creds"},
            "webstack:dbExistingSecret: 'pg-creds' is set while dbGeneratePassword is true",
        ),
        ({"dbGeneratePassword": False}, "webstack:dbGeneratePassword: is false but dbExistingSecret is empty"),
        (
            {"dbExistingSecret": "PG", "dbGeneratePassword": False},
            "webstack:dbExistingSecret: 'PG' is not a valid DNS-1123 subdomain",
        ),
        (
            {"dbExistingSecret": "pg", "dbGeneratePassword": False, "dbExistingSecretKey": ""},
            "webstack:dbExistingSecretKey: must not be empty",
        ),
        ({"dbBackupSchedule": "nightly"}, "webstack:dbBackupSchedule: 'nightly' has 1 fields, not 5"),
        ({"dbBackupSchedule": "0 3 * * 8"}, "webstack:dbBackupSchedule: '0 3 * * 8' is not a valid cron schedule"),
        ({"dbBackupRetentionDays": 0}, "webstack:dbBackupRetentionDays: 0 is out of range"),
        ({"dbImage": "postgres:latest"}, "webstack:dbImage: 'postgres:latest' does not pin a version"),
        ({"dbImage": "postgres"}, "webstack:dbImage: 'postgres' does not pin a version"),
        ({"dbMetricsImage": "exporter"}, "webstack:dbMetricsImage: 'exporter' does not pin a version"),
        ({"dbName": "my-app"}, "webstack:dbName: 'my-app' is not a plain PostgreSQL name"),
        ({"dbUser": "App"}, "webstack:dbUser: 'App' is not a plain PostgreSQL name"),
        ({"dbUser": "backup"}, "webstack:dbUser: 'backup' is reserved"),
        ({"dbUser": "metrics"}, "webstack:dbUser: 'metrics' is reserved"),
        ({"dbCpuRequest": "2"}, "webstack:dbCpuRequest: the request '2' is above the limit '1'"),
        ({"dbMemoryLimit": "big"}, "webstack:dbMemoryLimit: 'big' is not a Kubernetes quantity"),
        ({"dbProtect": "yes"}, "webstack:dbProtect: expected true or false, got 'yes'"),
        ({"dbEnabled": "on"}, "webstack:dbEnabled: expected true or false, got 'on'"),
    ],
)
def test_bad_value_is_one_problem_naming_the_key(raw: dict[str, Any], message: str) -> None:
    assert one_problem(**raw).startswith(message)


def test_database_image_is_pinned_even_in_dev() -> None:
    assert "does not pin a version" in one_problem(environment="dev", dbImage="postgres:latest")


def test_app_env_may_not_set_what_the_database_provides() -> None:
    problem = one_problem(appEnv=["DATABASE_HOST=elsewhere"])
    assert problem.startswith("webstack:appEnv: DATABASE_HOST is set by the database")


def test_app_env_may_set_database_variables_when_the_database_is_off() -> None:
    settings = load_settings({**MINIMAL, "appEnv": ["DATABASE_HOST=elsewhere"], "dbEnabled": False}, "test")
    assert settings.database.enabled is False
    assert settings.app.env == (("DATABASE_HOST", "elsewhere"),)


# -- the stack files -----------------------------------------------------------------------------


def test_dev_database_is_small_unprotected_and_without_backups() -> None:
    db = load_settings(stack_config("dev"), "dev").database
    assert db.enabled
    assert db.protect is False
    assert db.backup_enabled is False


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_staging_and_prod_databases_are_protected_and_backed_up(stack: str) -> None:
    db = load_settings(stack_config(stack), stack).database
    assert db.protect is True
    assert db.backup_enabled is True
    assert db.metrics_enabled is True


def test_prod_has_the_largest_volume() -> None:
    sizes = {
        s: parse_quantity(load_settings(stack_config(s), s).database.storage_size, s)
        for s in ("dev", "staging", "prod")
    }
    assert sizes["dev"] < sizes["staging"] <= sizes["prod"]
