"""scripts/toolchain.sh: which pulumi CLI a command gets, and the progress a long build shows.

The driver is run for real, from a copy beside a fake group (a script that announces steps and sleeps), with the
cache in a temporary directory; fake `pulumi` executables stand for an installed CLI. Nothing is built.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.harness import ROOT

SDK_PIN = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE)
assert SDK_PIN is not None, "requirements.txt pins no pulumi"
SDK = SDK_PIN.group(1)


def _executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _driver(tmp_path: Path, *groups: tuple[str, str]) -> Path:
    """A copy of toolchain.sh with requirements.txt beside its parent, and the given (name, script) groups."""
    root = tmp_path / "repo"
    (root / "scripts" / "toolchain").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "toolchain.sh", root / "scripts" / "toolchain.sh")
    shutil.copy2(ROOT / "requirements.txt", root / "requirements.txt")
    for name, body in groups:
        _executable(root / "scripts" / "toolchain" / f"{name}.sh", body)
    return root / "scripts" / "toolchain.sh"


def _run(
    driver: Path, tmp_path: Path, *args: str, path: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("WEBSTACK_", "PULUMI_"))}
    full.update({"WEBSTACK_CACHE": str(tmp_path / "cache"), **env})
    if path is not None:
        full["PATH"] = f"{path}:{full['PATH']}"
    return subprocess.run(
        [str(driver), *args],
        capture_output=True,
        text=True,
        env=full,
        check=False,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _fake_pulumi(tmp_path: Path, version: str) -> Path:
    bin_dir = tmp_path / f"installed-{version}"
    bin_dir.mkdir()
    _executable(bin_dir / "pulumi", f"#!/bin/sh\necho {version}\n")
    return bin_dir


# A stand-in for the pulumi group: records that it was built, and builds a `pulumi` into its bin dir.
FAKE_PULUMI_GROUP = """#!/usr/bin/env bash
set -euo pipefail
echo "step: pulumi CLI: build"
printf '#!/bin/sh\\necho v0.0.0-built\\n' >"$1/pulumi"
chmod +x "$1/pulumi"
"""


def test_an_installed_pulumi_at_the_sdk_pin_is_used_and_nothing_is_built(tmp_path: Path) -> None:
    driver = _driver(tmp_path, ("pulumi", FAKE_PULUMI_GROUP))
    result = _run(driver, tmp_path, "pulumi-env", path=str(_fake_pulumi(tmp_path, f"v{SDK}")))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "export WEBSTACK_PULUMI=installed"
    assert f"using the installed CLI v{SDK}" in result.stderr
    assert not (tmp_path / "cache" / "toolchain").exists(), "an installed CLI must not trigger a build"


def test_an_installed_pulumi_older_than_the_sdk_pin_is_replaced_by_the_built_toolchain(tmp_path: Path) -> None:
    driver = _driver(tmp_path, ("pulumi", FAKE_PULUMI_GROUP))
    result = _run(driver, tmp_path, "pulumi-env", path=str(_fake_pulumi(tmp_path, "v3.0.0")))
    assert result.returncode == 0, result.stderr
    assert "older than the SDK pin" in result.stderr
    assert "export WEBSTACK_PULUMI=built" in result.stdout
    assert "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true" in result.stdout
    assert "/toolchain/pulumi-" in result.stdout, result.stdout


def test_webstack_toolchain_build_ignores_a_suitable_installed_pulumi(tmp_path: Path) -> None:
    driver = _driver(tmp_path, ("pulumi", FAKE_PULUMI_GROUP))
    installed = _fake_pulumi(tmp_path, "v99.0.0")
    result = _run(driver, tmp_path, "pulumi-env", path=str(installed), WEBSTACK_TOOLCHAIN="build")
    assert result.returncode == 0, result.stderr
    assert "export WEBSTACK_PULUMI=built" in result.stdout


def test_webstack_toolchain_installed_refuses_to_build(tmp_path: Path) -> None:
    driver = _driver(tmp_path, ("pulumi", FAKE_PULUMI_GROUP))
    result = _run(
        driver, tmp_path, "pulumi-env", path=str(_fake_pulumi(tmp_path, "v3.0.0")), WEBSTACK_TOOLCHAIN="installed"
    )
    assert result.returncode != 0
    assert f"no pulumi >= {SDK} on PATH" in result.stderr
    assert not (tmp_path / "cache" / "toolchain").exists()


def test_an_unknown_webstack_toolchain_value_is_refused_naming_the_choices(tmp_path: Path) -> None:
    driver = _driver(tmp_path, ("pulumi", FAKE_PULUMI_GROUP))
    result = _run(driver, tmp_path, "pulumi-env", WEBSTACK_TOOLCHAIN="download")
    assert result.returncode != 0
    assert "WEBSTACK_TOOLCHAIN must be auto, build or installed" in result.stderr


def test_the_env_of_a_group_other_than_pulumi_leaves_plugin_settings_alone(tmp_path: Path) -> None:
    driver = _driver(tmp_path, ("linters", "#!/bin/sh\ntrue\n"))
    assert _run(driver, tmp_path, "build", "linters").returncode == 0
    result = _run(driver, tmp_path, "env", "linters")
    assert result.returncode == 0, result.stderr
    assert "PULUMI_" not in result.stdout


SLOW_GROUP = """#!/usr/bin/env bash
set -euo pipefail
echo "step: first binary: build"
sleep 2.5
echo "step: second binary: build"
sleep 2.5
"""


def test_a_long_build_names_its_step_and_elapsed_time_and_then_the_last_cold_builds_time(tmp_path: Path) -> None:
    interval = "1"
    driver = _driver(tmp_path, ("slow", SLOW_GROUP))
    first = _run(driver, tmp_path, "build", "slow", WEBSTACK_PROGRESS_INTERVAL=interval)
    assert first.returncode == 0, first.stderr
    assert re.search(r"slow: first binary: build \.\.\. 0m0[1-4]s elapsed, no earlier build measured", first.stderr)
    assert re.search(r"slow: second binary: build \.\.\. 0m0[3-6]s elapsed", first.stderr), first.stderr
    recorded = (tmp_path / "cache" / "toolchain" / "durations" / "slow").read_text().split()
    assert 5 <= int(recorded[0]) <= 20, recorded

    # A cold build again (the cached entry removed): it announces the estimate and counts down from it.
    for entry in (tmp_path / "cache" / "toolchain").glob("slow-*"):
        shutil.rmtree(entry)
    second = _run(driver, tmp_path, "build", "slow", WEBSTACK_PROGRESS_INTERVAL=interval)
    assert second.returncode == 0, second.stderr
    assert f"the last cold build took 0m{int(recorded[0]):02d}s" in second.stderr
    assert re.search(r"elapsed, about 0m\d\ds left \(last cold build: 0m\d\ds\)", second.stderr), second.stderr


def test_a_first_cold_build_of_a_known_group_counts_down_from_the_measured_reference(tmp_path: Path) -> None:
    # No durations recorded on this machine yet: the driver's own figure for the group stands in.
    driver = _driver(tmp_path, ("cluster", SLOW_GROUP))
    result = _run(driver, tmp_path, "build", "cluster", WEBSTACK_PROGRESS_INTERVAL="1")
    assert result.returncode == 0, result.stderr
    assert re.search(r"cluster: building into .* \(the cold build on 2 quiet cores took \d+m\d\ds\)", result.stderr)
    assert re.search(r"elapsed, about \d+m\d\ds left \(cold build on 2 quiet cores: \d+m\d\ds\)", result.stderr)
    assert "no earlier build measured" not in result.stderr


def test_a_cached_group_is_not_built_again(tmp_path: Path) -> None:
    driver = _driver(tmp_path, ("slow", SLOW_GROUP))
    assert _run(driver, tmp_path, "build", "slow").returncode == 0
    again = _run(driver, tmp_path, "build", "slow")
    assert again.returncode == 0
    assert "slow: cached" in again.stderr
    assert "step: first binary" not in again.stderr


# A group that dies without a word, as a build does when its disk is full.
SILENT_FAILING_GROUP = "#!/usr/bin/env bash\nexit 1\n"


@pytest.mark.parametrize(
    ("floor", "named"),
    [
        (str(2**40), True),  # a floor no disk reaches: every disk the build writes to is "low"
        ("0", False),  # the control: room everywhere, nothing said of disk space
    ],
)
def test_a_failed_build_names_each_disk_below_the_free_space_floor(tmp_path: Path, floor: str, named: bool) -> None:
    driver = _driver(tmp_path, ("silent", SILENT_FAILING_GROUP))
    result = _run(driver, tmp_path, "build", "silent", WEBSTACK_MIN_FREE_MIB=floor)
    assert result.returncode == 1
    assert "error: build failed for group(s): silent" in result.stderr
    cache = tmp_path / "cache" / "toolchain"
    hint = rf"the disk holding {re.escape(str(cache))} has \d+ MiB free: a cold build writes"
    assert bool(re.search(hint, result.stderr)) == named, result.stderr


def test_a_free_space_floor_that_is_no_number_is_refused_by_name_before_any_build(tmp_path: Path) -> None:
    driver = _driver(tmp_path, ("slow", SLOW_GROUP))
    result = _run(driver, tmp_path, "build", "slow", WEBSTACK_MIN_FREE_MIB="2G")
    assert result.returncode == 1
    assert "WEBSTACK_MIN_FREE_MIB must be a whole number of MiB, not '2G'" in result.stderr
    assert "step: first binary" not in result.stderr
