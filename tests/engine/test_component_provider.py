"""webstack's components from another Pulumi language: the YAML example through the component provider.

In a copy of the project, ``examples/yaml-webapp`` runs ``pulumi package add ../../provider`` (the
engine runs ``provider/`` through the Python language host's RunPlugin and reads the schema that
``component_provider_host`` infers), then ``pulumi preview`` with the policy pack: the YAML
program's ``webstack:index:WebApp`` and ``webstack:index:Namespace`` are constructed by the
provider, in render mode, and pass the same policies as the Python stacks. The preview's output
is kept in ``bench/out/yaml-example-preview.txt``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.engine.workspace import Step, copy_project, engine_env
from tests.engine.workspace import _run as run_step

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = Path("examples") / "yaml-webapp"
EVIDENCE = ROOT / "bench" / "out" / "yaml-example-preview.txt"


@pytest.fixture(scope="module")
def yaml_example(pulumi_cli: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Step]:
    """The example's steps: package add, stack init, config, preview (stops at the first failure)."""
    workdir = tmp_path_factory.mktemp("yaml-example")
    project = copy_project(ROOT, workdir)
    example = project / EXAMPLE
    env = engine_env(workdir)
    plan = [
        ("package add", ["pulumi", "package", "add", "../../provider"]),
        ("init", ["pulumi", "stack", "init", "dev", "--non-interactive"]),
        ("config", ["pulumi", "config", "set", "renderDir", str(workdir / "rendered"), "--stack", "dev"]),
        (
            "preview",
            ["pulumi", "preview", "--stack", "dev", "--non-interactive", "--policy-pack", str(project / "policy")],
        ),
    ]
    steps: dict[str, Step] = {}
    for name, args in plan:
        steps[name] = run_step(name, args, example, env)
        if not steps[name].ok:
            break
    steps["_project"] = Step("project file", [], 0, 0.0, (example / "Pulumi.yaml").read_text(), "")
    return steps


def _step(steps: dict[str, Step], name: str) -> Step:
    assert name in steps, f"`{name}` did not run: {next(s.explain() for s in steps.values() if not s.ok)}"
    return steps[name]


def test_package_add_reads_the_schema_from_the_python_component_provider(yaml_example: dict[str, Step]) -> None:
    step = _step(yaml_example, "package add")
    print(step.stdout + step.stderr)
    assert step.ok, step.explain()
    assert "Added package webstack" in step.stdout + step.stderr
    packages = yaml.safe_load(yaml_example["_project"].stdout).get("packages") or {}
    assert packages.get("webstack") == "../../provider", packages


def test_the_yaml_program_previews_cleanly_through_the_provider(yaml_example: dict[str, Step]) -> None:
    step = _step(yaml_example, "preview")
    output = step.stdout + step.stderr
    EVIDENCE.parent.mkdir(parents=True, exist_ok=True)
    EVIDENCE.write_text(f"$ {' '.join(step.args)}  (in {EXAMPLE})\n{output}")
    print(output)
    assert step.ok, step.explain(120)
    for created in (
        "webstack:index:Namespace ns",
        "webstack:index:WebApp web",
        # The real components, constructed by the provider inside the facades.
        "webstack:app:WebApp web",
        "kubernetes:apps/v1:Deployment web-deployment",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy ns-default-deny",
    ):
        assert created in output, f"{created!r} is not in the preview:\n{output}"
    assert 'serviceName: "web"' in output.replace("  ", " ").replace(" :", ":"), output
    assert "error" not in output.lower(), output
    assert "- [mandatory]" not in output, output
