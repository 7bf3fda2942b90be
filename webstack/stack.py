"""Compose the components into one stack from validated settings."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import Namespace, Platform, TlsGateway, TlsIngress, WebApp
from components.labels import selector_labels
from components.postgres import BackupArgs, ExistingSecretRef, MetricsArgs, PostgresDatabase
from components.web_app import COMPONENT as WEB_COMPONENT
from components.web_app import AppMetricsArgs, AutoscalingArgs, SecretKeyRef
from webstack.config.runtime import LOCAL_STAND_IN_CHART
from webstack.settings import Settings
from webstack.volumes import WantedClaim


def _provider(settings: Settings) -> k8s.Provider:
    # An explicit provider: every object goes to the same cluster, and render mode can swap it.
    render_dir = settings.runtime.render_dir
    # In render mode no cluster is read: an empty kubeconfig stops the SDK from filling it in from
    # $KUBECONFIG, which the provider refuses next to renderYamlToDirectory. Upsert is off
    # explicitly, so that PULUMI_K8S_UPSERT_EXISTING_OBJECTS cannot turn it on: creating an object
    # that exists must fail, or a rename without aliases would adopt the object and then delete it
    # (pulumi-kubernetes #2926).
    return k8s.Provider(
        "k8s",
        render_yaml_to_directory=render_dir,
        kubeconfig="" if render_dir else None,
        upsert_existing_objects=False,
    )


def _adoption_provider(settings: Settings) -> k8s.Provider | None:
    """The provider of the objects a destroy leaves in the cluster, and of nothing else.

    With a database, a destroy keeps its Namespace, its volumes and its credentials Secrets
    (``retain_on_delete``). Since pulumi-kubernetes 4.29 the provider creates objects client-side
    and the next ``up`` fails on them with AlreadyExists; this one updates them in place instead
    (``upsertExistingObjects``). Same cluster as the stack's provider: moving a live object onto it
    is no replacement (the engine asks the provider's DiffConfig, which replaces only when the
    cluster or the render folder changes). ``None`` in render mode, where nothing exists to adopt.
    """
    if settings.runtime.render_dir or not settings.database.enabled:
        return None
    return k8s.Provider("k8s-adopt", upsert_existing_objects=True)


def _database_metrics(settings: Settings, platform: Platform | None) -> MetricsArgs:
    metrics = MetricsArgs(
        image=settings.database.metrics_image,
        monitoring_namespace=settings.platform.monitoring_namespace,
        # On the local cluster no Prometheus Operator installs the ServiceMonitor CRD.
        service_monitor=not settings.runtime.local_cluster,
    )
    if platform is not None:
        metrics["labels"] = platform.service_monitor_labels
        if platform.monitoring_release is not None:
            # Only the ServiceMonitor and the alerts wait for the CRDs; the database does not.
            metrics["depends_on"] = [platform.monitoring_release]
    return metrics


# A fixed name, independent of every setting: the volumes' names derive from it, and a new name
# would be a new, empty database.
DATABASE = "postgres"
DATA_CLAIM = f"{DATABASE}-data"
BACKUP_CLAIM = f"{DATABASE}-backups"


def database_claims(settings: Settings) -> list[WantedClaim]:
    """The volumes this stack claims, each with the config key that sizes it."""
    db = settings.database
    if not db.enabled:
        return []
    claims = [WantedClaim(DATA_CLAIM, "dbStorageSize", db.storage_size)]
    if db.backup_enabled:
        claims.append(WantedClaim(BACKUP_CLAIM, "dbBackupStorageSize", db.backup_storage_size))
    return claims


def _database(
    settings: Settings,
    namespace: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
    adoption_provider: k8s.Provider | None,
    platform: Platform | None,
) -> PostgresDatabase:
    db = settings.database
    existing = ExistingSecretRef(name=db.existing_secret, key=db.existing_secret_key) if db.existing_secret else None
    backup = (
        BackupArgs(
            schedule=db.backup_schedule,
            storage_size=db.backup_storage_size,
            retention_days=db.backup_retention_days,
            claim_name=BACKUP_CLAIM,
        )
        if db.backup_enabled
        else None
    )
    metrics = _database_metrics(settings, platform) if db.metrics_enabled else None
    return PostgresDatabase(
        DATABASE,
        {
            "namespace": namespace,
            "client_selector": selector_labels(settings.app.name, settings.instance, WEB_COMPONENT),
            "instance": settings.instance,
            "image": db.image,
            "database": db.name,
            "user": db.user,
            "claim_name": DATA_CLAIM,
            "storage_size": db.storage_size,
            "storage_class": db.storage_class,
            "access_modes": db.access_modes,
            "requests": db.requests,
            "limits": db.limits,
            "protect": db.protect,
            "generate_password": db.generate_password,
            "existing_secret": existing,
            "backup": backup,
            "metrics": metrics,
            "adoption_provider": adoption_provider,
        },
        opts=opts,
    )


def _secret_leaves(values: Any) -> Any:
    """``values`` with every leaf a Pulumi secret; mappings stay plain so that the values merge."""
    if isinstance(values, dict):
        return {key: _secret_leaves(value) for key, value in values.items()}
    return pulumi.Output.secret(values)


def _platform(settings: Settings, opts: pulumi.ResourceOptions) -> Platform | None:
    """The add-ons switched on for this stack, or ``None`` when the cluster provides them all."""
    p = settings.platform
    ingress_controller, cert_manager, monitoring, issuers = (
        p.ingress_controller,
        p.cert_manager,
        p.monitoring,
        p.issuers,
    )
    chart_paths = dict(p.chart_paths)
    chart_addons = settings.routing.chart_addons
    if settings.runtime.render_dir:
        # A Helm release cannot be rendered to a folder; an add-on installed as a helm.v4.Chart is
        # (its objects), and so are the plain objects (issuers).
        ingress_controller = ingress_controller and p.ingress.controller in chart_addons
        cert_manager = cert_manager and "cert-manager" in chart_addons
        monitoring = monitoring and "kube-prometheus-stack" in chart_addons
        pulumi.log.info("render mode: add-ons installed as Helm releases are skipped (see platformChartAddons)")
    elif settings.runtime.local_cluster:
        # Offline kwok cluster: no chart repository is reachable and no container runs. The
        # controller release installs the project's stand-in chart; cert-manager and monitoring
        # (and the custom resources that need their CRDs) are switched off.
        cert_manager = monitoring = False
        issuers = ()
        if ingress_controller:
            chart_paths[p.ingress.controller] = LOCAL_STAND_IN_CHART
        pulumi.log.warn(
            f"local cluster: cert-manager, monitoring and ClusterIssuers are off; the {p.ingress.controller} "
            f"release installs the stand-in chart {LOCAL_STAND_IN_CHART}"
        )
    routing = settings.routing
    gateway_crds = routing.gateway and routing.gateway_api_crds
    if not (ingress_controller or cert_manager or monitoring or issuers or gateway_crds):
        return None
    password = p.grafana_admin_password
    return Platform(
        "platform",
        {
            "ingress_controller": p.ingress.controller,
            "install_ingress_controller": ingress_controller,
            "ingress_namespace": p.ingress.namespace,
            "ingress_class_name": p.ingress.class_name,
            "cert_manager": cert_manager,
            "cert_manager_namespace": p.cert_manager_namespace,
            "issuers": list(issuers),
            "acme_email": p.ingress.acme_email,
            "monitoring": monitoring,
            "monitoring_namespace": p.monitoring_namespace,
            "grafana_admin_password": pulumi.Output.secret(password.reveal()) if password else None,
            "charts_dir": p.charts_dir,
            "chart_paths": chart_paths,
            # Held encrypted in config (it may set credentials): every value stays a secret in state.
            "overrides": _secret_leaves(p.chart_values) if p.chart_values_secret else p.chart_values,
            "timeout": p.helm_timeout,
            "routing": routing.routing,
            "gateway_class_name": routing.gateway_class_name,
            "gateway_api_crds": routing.gateway_api_crds,
            "gateway_api_crds_source": routing.gateway_api_crds_source,
            "chart_addons": list(chart_addons),
            # The app's Gateway (TlsGateway, named after the app) answers the ACME challenges.
            "acme_gateway": {"name": settings.app.name, "namespace": settings.namespace.name},
        },
        opts=opts,
    )


def _app_metrics(settings: Settings, platform: Platform | None) -> AppMetricsArgs | None:
    p = settings.platform
    # On the local cluster no Prometheus Operator installs the ServiceMonitor CRD.
    if not p.metrics.enabled or settings.runtime.local_cluster:
        return None
    metrics = AppMetricsArgs(
        port=p.metrics.port or settings.app.port, path=p.metrics.path, namespace=p.monitoring_namespace
    )
    if platform is not None:
        metrics["labels"] = platform.service_monitor_labels
        if platform.monitoring_release is not None:
            # Only the ServiceMonitor and its rule wait for the CRDs; the app itself does not.
            metrics["depends_on"] = [platform.monitoring_release]
    return metrics


def build_stack(settings: Settings) -> dict[str, Any]:
    """Register every resource of the stack and return the stack outputs (name → Output)."""
    provider = _provider(settings)
    adoption_provider = _adoption_provider(settings)
    opts = pulumi.ResourceOptions(providers=[provider])

    namespace = Namespace(
        "baseline",
        {
            "name": settings.namespace.name,
            "pod_security": settings.namespace.pod_security,
            "quota": settings.namespace.quota,
            "default_requests": settings.namespace.default_requests,
            "default_limits": settings.namespace.default_limits,
            # Deleting a namespace deletes everything in it: the database's volumes, which Pulumi
            # retains on delete, would go with it (and their PVs, with a Delete reclaim policy).
            "retain_on_delete": settings.database.enabled,
            "adoption_provider": adoption_provider,
        },
        opts=opts,
    )

    platform = _platform(settings, opts)
    database = (
        _database(settings, namespace.name, opts, adoption_provider, platform) if settings.database.enabled else None
    )
    db_env: dict[str, pulumi.Input[str]] = {}
    db_refs: dict[str, SecretKeyRef] = {}
    if database is not None:
        db_env = {
            "DATABASE_HOST": database.host,
            "DATABASE_PORT": str(database.port),
            "DATABASE_NAME": database.database,
            "DATABASE_USER": database.user,
        }
        db_refs = {"DATABASE_PASSWORD": SecretKeyRef(name=database.secret_name, key=database.password_key)}

    app = settings.app
    autoscaling = (
        AutoscalingArgs(max_replicas=app.max_replicas, cpu_percent=app.cpu_percent) if app.autoscaling else None
    )
    web = WebApp(
        app.name,
        {
            "namespace": namespace.name,
            "image": app.image,
            "instance": settings.instance,
            "version": app.version,
            "port": app.port,
            "replicas": app.replicas,
            "requests": app.requests,
            "limits": app.limits,
            "health_path": app.health_path,
            "ready_path": app.ready_path,
            "env": {**dict(app.env), **db_env},
            "secret_refs": db_refs,
            "secret_env": {name: pulumi.Output.secret(value.reveal()) for name, value in app.secret_env},
            "service_type": app.service_type,
            "load_balancer_source_ranges": list(settings.routing.load_balancer_source_ranges),
            "service_annotations": dict(app.service_annotations),
            "autoscaling": autoscaling,
            "spread_policy": app.spread_policy,
            "egress_cidrs": list(app.egress_cidrs),
            "ingress_namespace": settings.platform.ingress.namespace,
            "metrics": _app_metrics(settings, platform),
        },
        opts=opts,
    )

    if app.service_type == "LoadBalancer" and not settings.routing.load_balancer_source_ranges:
        message = (
            "serviceType LoadBalancer without loadBalancerSourceRanges: the app port is open to every address; "
            "list the client networks in loadBalancerSourceRanges to narrow it"
        )
        (pulumi.log.warn if settings.environment == "prod" else pulumi.log.info)(message)

    tls = settings.platform.ingress
    ingress = (
        TlsIngress(
            app.name,
            {
                "namespace": namespace.name,
                "hosts": list(tls.hosts),
                "paths": list(tls.paths),
                "service_name": web.service_name,
                "service_port": web.service_port,
                "controller": tls.controller,
                "ingress_class_name": tls.class_name,
                "issuer": tls.issuer,
                "tls_secret_name": tls.tls_secret_name,
                "instance": settings.instance,
                # Admitted to cert-manager's HTTP-01 solver pods when the issuer is Let's Encrypt.
                "ingress_namespace": tls.namespace,
                # No controller runs on the local cluster to publish an address: don't wait for one.
                "annotations": {"pulumi.com/skipAwait": "true"} if settings.runtime.local_cluster else {},
            },
            opts=opts,
        )
        if tls.enabled and settings.routing.ingress
        else None
    )
    gateway = (
        TlsGateway(
            app.name,
            {
                "namespace": namespace.name,
                "hosts": list(tls.hosts),
                "paths": list(tls.paths),
                "service_name": web.service_name,
                "service_port": web.service_port,
                "gateway_class_name": settings.routing.gateway_class_name,
                "issuer": tls.issuer,
                "tls_secret_name": tls.tls_secret_name,
                "instance": settings.instance,
                # Traefik's pods serve the Gateway: the ingress namespace, as admitted to the app.
                "controller_namespace": tls.namespace,
                "depends_on": [platform.gateway_api_crds] if platform and platform.gateway_api_crds else [],
            },
            opts=opts,
        )
        if tls.enabled and settings.routing.gateway
        else None
    )
    public = ingress or gateway

    outputs: dict[str, Any] = {
        "namespace": namespace.name,
        "service_name": web.service_name,
        # The public https address with the Ingress on, else the in-cluster one.
        "url": public.url if public is not None else web.url,
    }
    if database is not None:
        outputs["database_host"] = database.host
        outputs["connection_string"] = database.connection_string  # a Pulumi secret
    return outputs
