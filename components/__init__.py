"""webstack's reusable Pulumi components (type tokens ``webstack:<area>:<Type>``)."""

from components.gateway import TlsGateway, TlsGatewayArgs
from components.helm_release import HelmRelease, HelmReleaseArgs
from components.ingress import TlsIngress, TlsIngressArgs
from components.namespace import Namespace, NamespaceArgs
from components.platform import Platform, PlatformArgs
from components.postgres import BackupArgs, ExistingSecretRef, MetricsArgs, PostgresDatabase, PostgresDatabaseArgs
from components.web_app import AppMetricsArgs, AutoscalingArgs, SecretKeyRef, WebApp, WebAppArgs

__all__ = [
    "AppMetricsArgs",
    "AutoscalingArgs",
    "BackupArgs",
    "ExistingSecretRef",
    "HelmRelease",
    "HelmReleaseArgs",
    "MetricsArgs",
    "Namespace",
    "NamespaceArgs",
    "Platform",
    "PlatformArgs",
    "PostgresDatabase",
    "PostgresDatabaseArgs",
    "SecretKeyRef",
    "TlsGateway",
    "TlsGatewayArgs",
    "TlsIngress",
    "TlsIngressArgs",
    "WebApp",
    "WebAppArgs",
]
