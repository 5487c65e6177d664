"""The product's wheel installs and runs on its own: no harness inside, no dev dependency needed.

Builds the wheel with ``uv build``, installs it with the locked versions of the
product's runtime dependencies only into a fresh virtualenv, and runs the
installed ``importctl`` from a folder outside the repository, so nothing of the
checkout can be imported by accident.  Needs no local stack; takes a minute or
two (building, resolving from uv's cache).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_PACKAGES = {"control_plane", "workers"}
HARNESS_PACKAGES = {"harness", "loadtests", "chaos", "dashboard", "tests"}
PRODUCT_COMMANDS = {"db", "tenants", "slo", "settings"}
HARNESS_COMMANDS = {"stack", "demo", "load", "chaos"}
HARNESS_SECTIONS = ("[StackSettings]", "[SimulatorSettings]", "[LoadSettings]", "[ChaosSettings]")
STEP_TIMEOUT_S = 300


def _run(argv: Sequence[str | Path], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(  # noqa: S603 - fixed argv of uv and the built virtualenv
        [str(part) for part in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT_S
    )
    assert done.returncode == 0, f"{' '.join(map(str, argv))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _uv() -> str:
    found = shutil.which("uv")
    if found is None:
        pytest.fail("uv is not on PATH; the wheel test builds and installs with it")
    return found


def _outside_env(venv: Path) -> dict[str, str]:
    """The installed virtualenv only: no PYTHONPATH, no project virtualenv on PATH."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join([str(venv / "bin"), "/usr/bin", "/bin"])
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    _run([_uv(), "build", "--wheel", "--package", "import-control-plane", "--out-dir", dist], cwd=ROOT)
    (built,) = dist.glob("import_control_plane-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel and the locked runtime dependencies, nothing else."""
    where = tmp_path_factory.mktemp("installed")
    requirements = where / "requirements.txt"
    _run(
        [
            *(_uv(), "export", "--frozen", "--package", "import-control-plane", "--no-dev", "--no-default-groups"),
            *("--no-emit-workspace", "--no-hashes", "--output-file", requirements),
        ],
        cwd=ROOT,
    )
    _run([_uv(), "venv", "--python", sys.executable, where / "venv"], cwd=where)
    python = where / "venv" / "bin" / "python"
    _run([_uv(), "pip", "install", "--python", python, "--requirement", requirements, "--no-deps", wheel], cwd=where)
    return where / "venv"


def test_the_wheel_holds_only_the_product(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        declared = archive.read(entry_points).decode()
    top = {name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")}
    assert top == PRODUCT_PACKAGES
    assert not top & HARNESS_PACKAGES
    assert not [name for name in names if "/devstack/" in name or name.endswith(("demo_seed.py", "localstack.py"))]
    assert "importctl = control_plane.cli.main:main" in declared
    assert "importctl.commands" not in declared


def test_installed_importctl_lists_only_product_commands(venv: Path) -> None:
    shown = _run([venv / "bin" / "importctl", "--help"], cwd=venv.parent, env=_outside_env(venv))
    listed = {line.split()[0] for line in shown.split("Commands:", 1)[1].splitlines() if line.strip()}
    assert listed == PRODUCT_COMMANDS
    assert not listed & HARNESS_COMMANDS


def test_installed_importctl_settings_shows_the_product_sections_only(venv: Path) -> None:
    shown = _run([venv / "bin" / "importctl", "settings"], cwd=venv.parent, env=_outside_env(venv))
    assert "[DatabaseSettings]" in shown
    assert "[WorkerSettings]" in shown
    assert not [section for section in HARNESS_SECTIONS if section in shown]


def test_installed_api_app_and_worker_settings_import(venv: Path) -> None:
    probe = (
        "import control_plane, control_plane.api.app as app, control_plane.api.server, workers.main as main; "
        "print(app.create_app.__name__, main.WorkerSettings.__name__, control_plane.__file__)"
    )
    shown = _run([venv / "bin" / "python", "-c", probe], cwd=venv.parent, env=_outside_env(venv))
    name, worker, location = shown.split()
    assert (name, worker) == ("create_app", "WorkerSettings")
    assert Path(location).is_relative_to(venv), "imported from the checkout, not from the installed wheel"
