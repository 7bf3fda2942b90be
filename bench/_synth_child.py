# ruff: noqa: PLC0415 - each mode imports only what it measures, after the clock started
"""One measured synthesis under Pulumi mocks, in a fresh interpreter (run by ``bench/synth.py``).

``_synth_child.py stack``            the project's ``__main__.py`` for the dev stack (its
                                     ``Pulumi.dev.yaml`` config), imports included
``_synth_child.py apps KIND N``      N WebApps (KIND ``components``) or the same objects raw (``raw``)

Prints one JSON line: the seconds spent importing and synthesizing (wall and CPU), and the
wall-clock time at the end, from which the parent derives the interpreter's exit time.
"""

import time

START = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def stack() -> dict[str, object]:
    import runpy

    import pulumi
    import yaml

    from webstack.heap import long_lived_imports

    with long_lived_imports():  # as __main__.py imports, timed as the import phase
        import webstack.stack  # noqa: F401
    from bench.workloads import install_mocks, synth

    imported, cpu = time.perf_counter(), time.process_time()
    document = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    # As the language host hands config to the program: text, JSON for anything else.
    config = {key: value if isinstance(value, str) else json.dumps(value) for key, value in document["config"].items()}
    pulumi.runtime.set_all_config(config)
    install_mocks(stack="dev")
    synth(lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"))
    done, done_cpu = time.perf_counter(), time.process_time()
    libraries = sorted(name for name in sys.modules if name.startswith(("pulumi_kubernetes", "pulumi_random")))
    return {
        "import_s": imported - START,
        "synth_s": done - imported,
        "synth_cpu_s": done_cpu - cpu,
        "modules": libraries,
    }


def apps(kind: str, n: int) -> dict[str, object]:
    from bench import workloads

    build = {"components": workloads.components, "raw": workloads.raw}[kind]
    imported = time.perf_counter()
    workloads.install_mocks()
    start, cpu = time.perf_counter(), time.process_time()
    workloads.synth(lambda: build(n))
    return {
        "import_s": imported - START,
        "synth_s": time.perf_counter() - start,
        "synth_cpu_s": time.process_time() - cpu,
    }


if __name__ == "__main__":
    mode = sys.argv[1]
    result = stack() if mode == "stack" else apps(sys.argv[2], int(sys.argv[3]))
    result["end_epoch"] = time.time()
    print(json.dumps(result), flush=True)
