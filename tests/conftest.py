"""Shared fixtures: the user's seed notes, the example vault, and built sites.

The seed notes live outside the repo (``../shared/seeds``) and are never copied in.
In CI (``CI`` set) a missing seeds folder is an error, not a skip.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(os.environ.get("KGSITE_SEEDS", ROOT.parent / "shared" / "seeds"))
EVAL = SEEDS.parent / "eval"
EXAMPLES = ROOT / "docs" / "notes"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"seed notes not found at {SEEDS}")
        pytest.skip(f"seed notes not found at {SEEDS}")
    return SEEDS


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return EXAMPLES


def kgsite(*args: str, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, as a user would."""
    proc = subprocess.run([sys.executable, "-m", "generator.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"kgsite {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def seeds_site(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds built once with ``kgsite build --strict`` (shared by the tests that read it)."""
    out = tmp_path_factory.mktemp("seeds-site") / "site"
    kgsite("build", "--notes", str(seeds_dir), "--site-dir", str(out), "--strict")
    return out


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repo's example vault built with the repo's own mkdocs.yml."""
    out = tmp_path_factory.mktemp("example-site") / "site"
    kgsite("build", "--notes", str(EXAMPLES), "--site-dir", str(out), "--strict")
    return out
