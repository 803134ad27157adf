"""The extraction measured against the user's hand annotation of the seed notes.

``score.py`` and ``gold-dev.yml`` belong to the user (``../shared/eval``); we run them on
our own export exactly as the issue says. The floors are a ratchet: they sit at what the
extractor reaches today and only move up; the issue's targets are listed next to them so
a reader sees the gap. A change that makes the graph worse fails here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EVAL, kgsite

# (floor enforced now, the target)
FLOORS = {
    "entity_f1": (0.90, 0.90),
    "core_recall": (0.95, 0.95),
    "relation_f1": (0.74, 0.70),
}
MAX_SPLITS = (2, 2)


@pytest.fixture(scope="module")
def report(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    gold = EVAL / "gold-dev.yml"
    if not gold.is_file():
        pytest.skip(f"no annotation at {gold}")
    out = tmp_path_factory.mktemp("score") / "graph.json"
    kgsite("export", "--notes", str(seeds_dir), "--format", "json", "-o", str(out))
    proc = subprocess.run([sys.executable, str(EVAL / "score.py"), str(out), str(gold), "--notes", "000,002"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _figure(report: str, pattern: str) -> float:
    found = re.search(pattern, report)
    assert found, f"score.py output has no {pattern!r}:\n{report}"
    return float(found.group(1))


def test_no_forbidden_merges(report: str) -> None:
    assert _figure(report, r"forbidden_merges=(\d+)") == 0, report


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_score_at_least_floor(report: str, name: str) -> None:
    patterns = {
        "entity_f1": r"entity_f1=([\d.]+)",
        "relation_f1": r"relation_f1=([\d.]+)",
        "core_recall": r"recall [\d.]+ \(core ([\d.]+)\)",
    }
    floor, target = FLOORS[name]
    value = _figure(report, patterns[name])
    assert value >= floor, f"{name} {value} fell below {floor} (target {target}):\n{report}"


def test_split_entities_at_most_floor(report: str) -> None:
    assert _figure(report, r"splits=(\d+)") <= MAX_SPLITS[0], report
