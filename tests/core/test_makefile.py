"""`make` finds a Python 3.11 or later, or says what is missing (the Makefile's choice, with fake interpreters)."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def fake_python(folder, name, version):
    """An interpreter that answers the Makefile's version check as Python `version` would."""
    ok = 0 if tuple(map(int, version.split("."))) >= (3, 11) else 1
    path = folder / name
    path.write_text(f'#!/bin/sh\n[ "$1" = "--version" ] && echo "Python {version}" && exit 0\nexit {ok}\n')
    path.chmod(0o755)


def make_install(tmp_path, pythons, dry_run=True):
    """`make [-n] install` with only the given interpreters (and the shell tools make needs) on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "seq", "make"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    for name, version in pythons.items():
        fake_python(bin_dir, name, version)
    env = {k: v for k, v in os.environ.items() if k != "PYTHON"} | {"PATH": str(bin_dir)}
    return subprocess.run([MAKE, *(["-n"] if dry_run else []), "-C", str(ROOT), "VENV=" + str(tmp_path / "venv"),
                           "install"], env=env, capture_output=True, text=True)


def test_takes_the_newest_python3_x_that_runs(tmp_path):
    result = make_install(tmp_path, {"python3.11": "3.11.7", "python3.13": "3.13.0", "python3.12": "3.12.1",
                                     "python3.14": "3.9.0", "python3": "3.9.2"})  # python3.14: a broken shim
    assert f"{tmp_path}/bin/python3.13 -m venv" in result.stdout, result.stdout + result.stderr


def test_takes_python3_when_it_is_new_enough(tmp_path):
    result = make_install(tmp_path, {"python3": "3.12.3"})
    assert f"{tmp_path}/bin/python3 -m venv" in result.stdout, result.stdout + result.stderr


def test_says_what_is_missing(tmp_path):
    result = make_install(tmp_path, {"python3": "3.9.2"}, dry_run=False)
    assert result.returncode != 0
    assert "needs Python 3.11 or later" in result.stderr and "python3 is Python 3.9.2)" in result.stderr, result.stderr
    assert "make PYTHON=/path/to/python3.12 install" in result.stderr
    assert not (tmp_path / "venv").exists()
