"""A deliberately bad program: run with ``--policy-pack policy`` and prod's policy config, each of the
pack's twelve policies fires once.

One Deployment whose single container breaks the six container policies (``:latest`` image, no
requests or limits, no probes, no security context), a LoadBalancer Service, an unprotected PVC
without the retain annotation, a ConfigMap holding a password, an Ingress without TLS, and a
Gateway whose HTTPS listener serves a wildcard host with an HTTPRoute that serves the app over its
plain HTTP listener. Rendered to ``$WEBSTACK_RENDER_DIR``: no cluster is contacted.
"""

import os

import pulumi
import pulumi_kubernetes as k8s

# kubeconfig="": render mode reads no cluster (the SDK would fill it from $KUBECONFIG, which the provider refuses).
render = k8s.Provider(
    "render", render_yaml_to_directory=os.environ.get("WEBSTACK_RENDER_DIR", "rendered"), kubeconfig=""
)
opts = pulumi.ResourceOptions(provider=render)
labels = {"app": "bad"}


def meta(name: str) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(name=name, namespace="bad", labels=labels)


k8s.apps.v1.Deployment(
    "bad-deployment",
    metadata=meta("bad"),
    spec=k8s.apps.v1.DeploymentSpecArgs(
        selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
        template=k8s.core.v1.PodTemplateSpecArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
            spec=k8s.core.v1.PodSpecArgs(containers=[k8s.core.v1.ContainerArgs(name="app", image="nginx:latest")]),
        ),
    ),
    opts=opts,
)
k8s.core.v1.Service(
    "bad-service",
    metadata=meta("bad"),
    spec=k8s.core.v1.ServiceSpecArgs(
        type="LoadBalancer", selector=labels, ports=[k8s.core.v1.ServicePortArgs(port=80, target_port=8080)]
    ),
    opts=opts,
)
k8s.core.v1.PersistentVolumeClaim(
    "bad-pvc",
    metadata=meta("bad-data"),
    spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
        access_modes=["ReadWriteOnce"],
        resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": "1Gi"}),
    ),
    opts=opts,
)
k8s.core.v1.ConfigMap("bad-config", metadata=meta("bad-env"), data={"DB_PASSWORD": "hunter2"}, opts=opts)
k8s.networking.v1.Ingress(
    "bad-ingress",
    metadata=meta("bad"),
    spec=k8s.networking.v1.IngressSpecArgs(
        rules=[
            k8s.networking.v1.IngressRuleArgs(
                host="bad.example.com",
                http=k8s.networking.v1.HTTPIngressRuleValueArgs(
                    paths=[
                        k8s.networking.v1.HTTPIngressPathArgs(
                            path="/",
                            path_type="Prefix",
                            backend=k8s.networking.v1.IngressBackendArgs(
                                service=k8s.networking.v1.IngressServiceBackendArgs(
                                    name="bad", port=k8s.networking.v1.ServiceBackendPortArgs(number=80)
                                )
                            ),
                        )
                    ]
                ),
            )
        ]
    ),
    opts=opts,
)
k8s.apiextensions.CustomResource(
    "bad-gateway",
    api_version="gateway.networking.k8s.io/v1",
    kind="Gateway",
    metadata=meta("bad"),
    spec={
        "gatewayClassName": "traefik",
        "listeners": [
            {"name": "http", "protocol": "HTTP", "port": 8000},
            {
                "name": "https",
                "protocol": "HTTPS",
                "port": 8443,
                "hostname": "*.bad.example.com",
                "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "bad-tls"}]},
            },
        ],
    },
    opts=opts,
)
k8s.apiextensions.CustomResource(
    "bad-route",
    api_version="gateway.networking.k8s.io/v1",
    kind="HTTPRoute",
    metadata=meta("bad"),
    spec={
        "parentRefs": [{"name": "bad", "sectionName": "http"}],
        "hostnames": ["app.bad.example.com"],
        "rules": [{"backendRefs": [{"name": "bad", "port": 80}]}],
    },
    opts=opts,
)
