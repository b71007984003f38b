"""The rules every stored notebook output follows, checked on the notebook files themselves.

nbval proves that each compared output is what the code prints; these tests keep the outputs worth
comparing: stored, free of errors, and free of what differs from machine to machine. A measurement (a
time, a speed, the memory a call allocates, the machine's peak) is never compared as text, so every cell
that measures is tagged ``nbval-ignore-output``; and no assertion depends on the machine that runs it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
IGNORE = "nbval-ignore-output"

# Calls whose results are measurements of this machine and this run.
MEASURING = re.compile(
    r"\b(best_time|measure|benchmark_case|workspace|matmul_peak|memory_bandwidth|perf_counter|process_time)\("
)
# Names of facts about the machine: an assertion on them holds on one machine only.
MACHINE_FACTS = re.compile(r"cpu_count|cpu_flags|avx|\bcores\b|machine_info|caches|threadpool|onednn", re.IGNORECASE)


def code_cells(path: Path) -> list[tuple[int, dict]]:
    cells = json.loads(path.read_text())["cells"]
    return [(index, cell) for index, cell in enumerate(cells) if cell["cell_type"] == "code"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 10


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_every_code_cell_is_stored_run_and_without_errors(path):
    cells = code_cells(path)
    assert all(cell["execution_count"] is not None for _, cell in cells if source(cell).strip())
    errors = [index for index, cell in cells if any(out["output_type"] == "error" for out in cell["outputs"])]
    assert errors == []
    counts = [cell["execution_count"] for _, cell in cells if source(cell).strip()]
    assert counts == list(range(1, len(counts) + 1)), "run the notebook top to bottom, once, before storing it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_cells_that_measure_are_not_compared_as_text(path):
    untagged = [
        index for index, cell in code_cells(path) if MEASURING.search(source(cell)) and IGNORE not in tags(cell)
    ]
    assert untagged == [], f"cells {untagged} measure this machine; tag them {IGNORE}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_no_assertion_depends_on_the_machine(path):
    offending = [
        (index, line.strip())
        for index, cell in code_cells(path)
        for line in source(cell).splitlines()
        if re.match(r"\s*(assert\b|np\.testing\.)", line) and MACHINE_FACTS.search(line)
    ]
    assert offending == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_ignored_outputs_are_only_measurements(path):
    """``nbval-ignore-output`` marks a measurement, never a mismatch to hide: each tagged cell measures."""
    cells = [cell for _, cell in code_cells(path)]
    not_measuring = []
    for position, cell in enumerate(cells):
        # A tagged cell measures, or shows what the tagged measuring cell just before it measured.
        chain = cells[: position + 1]
        while len(chain) > 1 and IGNORE in tags(chain[-1]) and not MEASURING.search(source(chain[-1])):
            chain = chain[:-1]
        if IGNORE in tags(cell) and not (IGNORE in tags(chain[-1]) and MEASURING.search(source(chain[-1]))):
            not_measuring.append(json.loads(path.read_text())["cells"].index(cell))
    assert not_measuring == []


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])
