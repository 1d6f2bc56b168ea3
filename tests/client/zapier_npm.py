"""Node and the Zapier platform packages for the Zapier tests, installed once per version.

`zapier-platform-core` (and the `zapier-platform-schema` it pins to the same version) go into a
cache directory outside the repository, one per version, guarded by a file lock so parallel
test workers install once. Nothing is vendored or committed. When Node or npm is missing they
are installed with apt-get; when that is impossible the calling test fails with the reason
(these tests never skip).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = ROOT / "manifests" / "zapier"
CORE = "zapier-platform-core"
MIN_NODE_MAJOR = 18
INSTALL_TIMEOUT = 600


def cache_root() -> Path:
    """Where installed packages are kept between runs (`BACKBONE_NODE_CACHE` overrides)."""
    override = os.environ.get("BACKBONE_NODE_CACHE")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "backbone" / "node"


def pinned_core_version(app_dir: Path | None = None) -> str:
    """The zapier-platform-core version the app's package.json pins (as generated, or in `app_dir`)."""
    if app_dir is None:
        from manifests import zapier

        package = zapier.package_json()
    else:
        package = json.loads((app_dir / "package.json").read_text())
    version = str(package["dependencies"][CORE])
    if not version[:1].isdigit():
        pytest.fail(f"manifests/zapier/package.json must pin an exact {CORE} version, not {version!r}")
    return version


def _run(args: list[str], cwd: Path | None = None, timeout: float = INSTALL_TIMEOUT) -> str:
    try:
        done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"`{' '.join(args)}` could not run: {exc}")
    if done.returncode != 0:
        pytest.fail(f"`{' '.join(args)}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _apt_install() -> None:
    apt = shutil.which("apt-get")
    if apt is None:
        pytest.fail("node and npm are not installed and there is no apt-get to install them: install Node.js "
                    f"{MIN_NODE_MAJOR}+ with npm")
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if prefix and shutil.which("sudo") is None:
        pytest.fail("node and npm are not installed and installing them needs root: "
                    "run `apt-get install nodejs npm` as root")
    env_prefix = [*prefix, "env", "DEBIAN_FRONTEND=noninteractive"]
    _run([*env_prefix, apt, "update"])
    _run([*env_prefix, apt, "install", "-y", "--no-install-recommends", "nodejs", "npm"])


def node() -> str:
    """The node binary (installed with apt-get when missing), checked to be recent enough."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        _apt_install()
    path = shutil.which("node")
    if path is None or shutil.which("npm") is None:
        pytest.fail("node or npm is still missing after apt-get install nodejs npm")
    version = _run([path, "--version"], timeout=30).strip()
    major = int(version.lstrip("v").split(".")[0])
    if major < MIN_NODE_MAJOR:
        pytest.fail(f"{CORE} needs Node.js {MIN_NODE_MAJOR}+; {path} is {version}")
    return path


def _installed(modules: Path, version: str) -> bool:
    package = modules / CORE / "package.json"
    return package.exists() and json.loads(package.read_text()).get("version") == version


def install(version: str | None = None) -> Path:
    """Installs zapier-platform-core at `version` (default: the app's pin) once; returns its node_modules.

    Args:
        version: An exact version; the generated package.json's pin when omitted.

    Returns:
        The node_modules directory holding zapier-platform-core and zapier-platform-schema.
    """
    node()
    version = version or pinned_core_version()
    target = cache_root() / f"{CORE}-{version}"
    modules = target / "node_modules"
    target.mkdir(parents=True, exist_ok=True)
    with (target / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel workers: the first installs, the others wait
        if not _installed(modules, version):
            (target / "package.json").write_text(json.dumps({"private": True, "name": "backbone-node-cache"}))
            npm = shutil.which("npm") or "npm"
            _run([npm, "install", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error",
                  f"{CORE}@{version}"], cwd=target)
        if not _installed(modules, version):
            pytest.fail(f"npm install did not leave {CORE}@{version} in {modules}")
    return modules


def exported_schema(modules: Path) -> dict[str, object]:
    """Zapier's exported JSON schema (`zapier-platform-schema/exported-schema.json`)."""
    path = modules / "zapier-platform-schema" / "exported-schema.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: the {CORE} install is incomplete")
    schema: dict[str, object] = json.loads(path.read_text())
    return schema
