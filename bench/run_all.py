"""Run every benchmark in turn and (re)write its section of ``bench/results.md``.

``.venv/bin/python bench/run_all.py [--repeat 5] [--suffix ""] [--only synth,engine,cluster]``

``--suffix before`` writes the sections ``synth-before``, ``engine-before``, ``cluster-before``
instead, e.g. to keep the figures from before a change next to those after it. Needs the toolchain
on PATH for the engine and cluster benches: ``eval "$(scripts/toolchain.sh env)"``.
At ``--repeat 5`` the three take about 10 minutes on 2 CPUs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import PYTHON, ROOT, progress

BENCHES = ("synth", "engine", "cluster")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--suffix", default="", help="append -SUFFIX to the results.md section names")
    parser.add_argument("--only", default=",".join(BENCHES))
    args = parser.parse_args()
    started = time.perf_counter()
    failed = []
    for name in args.only.split(","):
        if name not in BENCHES:
            raise SystemExit(f"unknown bench {name!r}; choose from {', '.join(BENCHES)}")
        section = f"{name}-{args.suffix}" if args.suffix else name
        progress(f"== bench/{name}.py (section {section})")
        command = [PYTHON, str(ROOT / "bench" / f"{name}.py"), "--repeat", str(args.repeat), "--section", section]
        if subprocess.run(command, cwd=ROOT, check=False).returncode != 0:
            failed.append(name)
    progress(f"all benches done in {time.perf_counter() - started:.0f} s" + (f"; FAILED: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
