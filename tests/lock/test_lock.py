"""The pinned lock, requirements.txt, installs on every platform and Python the book supports.

uv resolves the lock for each target as that machine would, from wheels alone (``--no-build``): a pinned
package with no wheel for the platform, or one whose ``Requires-Python`` excludes the interpreter, fails
the resolution. It asks the package index and installs nothing. Run by ``make lock-check``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.txt"
UV = os.environ.get("UV", str(Path(sys.executable).with_name("uv")))

PLATFORMS = {
    "Linux x86_64": "x86_64-manylinux_2_28",  # glibc 2.28 or newer: Debian 12, Ubuntu 22.04 and 24.04
    "macOS arm64": "aarch64-apple-darwin",
    "Windows x86_64": "x86_64-pc-windows-msvc",
}
PYTHONS = {
    "3.11.2": "Debian 12's Python",
    "3.12.3": "Ubuntu 24.04's Python",
}


def lock_python() -> str:
    """The oldest Python the lock was resolved for, from the command in its header."""
    header = LOCK.read_text().splitlines()[:2]
    match = re.search(r"uv pip compile requirements\.in --universal --python-version (\S+) ", header[1])
    assert match, f"requirements.txt does not start with 'make lock''s header: {header}"
    return match.group(1)


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_lock_resolves(platform: str, python: str) -> None:
    done = subprocess.run(
        [
            UV,
            "pip",
            "compile",
            str(LOCK),
            "--no-build",
            "--no-header",
            "--quiet",
            "--output-file",
            os.devnull,
            "--python-platform",
            PLATFORMS[platform],
            "--python-version",
            python,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"the lock does not resolve on {platform}, Python {python}:\n{done.stderr}"


def test_the_lock_covers_the_oldest_python_it_claims() -> None:
    assert lock_python() == min(PYTHONS, key=lambda version: tuple(map(int, version.split("."))))


def test_requires_python_says_what_the_lock_says() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == f">={lock_python()}"


def test_every_package_in_the_lock_is_pinned_exactly() -> None:
    requirements = [line for line in LOCK.read_text().splitlines() if line and not line.startswith((" ", "#"))]
    assert len(requirements) > 100
    unpinned = [line for line in requirements if not re.match(r"^[A-Za-z0-9._-]+==[^=;\s]+( ; .+)?$", line)]
    assert unpinned == []
    direct = [line for line in (ROOT / "requirements.in").read_text().splitlines() if line and line[0] != "#"]
    assert all("==" in line for line in direct)
