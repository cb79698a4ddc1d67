"""`make test` on a fresh Debian machine brings the Chromium its browser tests launch.

apt-get and id are stand-ins on PATH here, so nothing is installed: they record what make asked for.
"""

import os
import stat
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT

FAKE_APT = """#!/bin/sh
echo "apt-get $*" >> "{log}"
case "$*" in *install*) printf '#!/bin/sh\\n' > "{chromium}"; chmod +x "{chromium}";; esac
"""


def executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def machine(tmp_path):
    """A machine without Chromium whose apt-get and id are ours."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log, chromium = tmp_path / "apt.log", tmp_path / "chromium"
    executable(bin_dir / "apt-get", FAKE_APT.format(log=log, chromium=chromium))

    def make(*args: str, uid: int = 0) -> subprocess.CompletedProcess:
        executable(bin_dir / "id", f'#!/bin/sh\n[ "$1" = -u ] && echo {uid} || /usr/bin/id "$@"\n')
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
        return subprocess.run(
            ["make", "--no-print-directory", f"CHROMIUM={chromium}", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    make.log, make.chromium = log, chromium
    return make


def test_make_test_installs_chromium_first_when_it_is_missing_and_only_then(machine):
    plan = machine("-n", "test").stdout
    assert "apt-get install" in plan
    assert plan.index("apt-get install") < plan.index("pytest")
    machine.chromium.write_text("#!/bin/sh\n")
    plan = machine("-n", "test").stdout
    assert "apt-get" not in plan
    assert "pytest" in plan


def test_the_browser_step_runs_apt_get_update_then_installs_debians_chromium(machine):
    done = machine("browser")
    assert done.returncode == 0, done.stdout + done.stderr
    assert machine.log.read_text().splitlines() == ["apt-get update -qq", "apt-get install -y -qq chromium"]
    assert "chromium" in done.stdout
    again = machine("browser")  # installed now: nothing to do
    assert again.returncode == 0
    assert len(machine.log.read_text().splitlines()) == 2


def test_without_root_make_says_what_to_install_and_stops(machine):
    done = machine("browser", uid=1000)
    assert done.returncode != 0
    assert "apt-get install chromium" in done.stdout + done.stderr
    assert str(machine.chromium) in done.stdout + done.stderr
    assert not machine.log.exists()


def test_ci_relies_on_make_test_for_chromium():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "apt-get" not in ci
    assert "make test" in ci
