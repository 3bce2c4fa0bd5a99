"""The kernels a run records (`aura.rl.numerics`) are the ones its process computes with: MKL's
code branch follows ``MKL_CBWR``, which each case sets in a fresh process because MKL reads it
once. A grid lists the distinct kernels of its runs' segments
(`aura.rl.experiment.grid_kernels`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from aura.rl.experiment import grid_kernels
from aura.rl.numerics import MKL_BRANCHES, UNRECORDED, kernels
from aura.rl.train import INFO_FILE, SEGMENTS_FILE, record_segment

needs_mkl = pytest.mark.skipif(
    not torch.backends.mkl.is_available(), reason="this PyTorch build has no MKL"
)

READ = (
    "import json; from aura.rl.numerics import kernels, mkl_auto_branch; "
    "print(json.dumps({**kernels(), 'auto': mkl_auto_branch()}))"
)


def kernels_in_process(mkl_cbwr: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MKL_CBWR"}
    if mkl_cbwr is not None:
        env["MKL_CBWR"] = mkl_cbwr
    out = subprocess.run(
        [sys.executable, "-c", READ], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


@needs_mkl
def test_without_mkl_cbwr_mkl_chooses_by_processor() -> None:
    found = kernels_in_process(None)
    assert found["mkl_branch"] == "by processor"
    assert found["torch_cpu_capability"] == torch.backends.cpu.get_cpu_capability()


@needs_mkl
def test_a_fixed_branch_is_read_back_and_leaves_the_processors_own() -> None:
    fixed, free = kernels_in_process("COMPATIBLE"), kernels_in_process(None)
    assert fixed["mkl_branch"] == "COMPATIBLE"
    assert fixed["auto"] == free["auto"] in MKL_BRANCHES.values()
    assert free["auto"] not in ("by processor", "COMPATIBLE")


@needs_mkl
def test_this_process_reads_a_known_branch() -> None:
    assert kernels()["mkl_branch"] in MKL_BRANCHES.values()


def test_a_grid_lists_each_distinct_kernels_once(tmp_path: Path) -> None:
    here = {"torch_cpu_capability": "AVX512", "mkl_branch": "by processor"}
    fixed = {"torch_cpu_capability": "AVX512", "mkl_branch": "COMPATIBLE"}
    infos = [
        {"segments": [{"from_step": 0, "kernels": here}]},
        {"segments": [{"from_step": 0, "kernels": fixed}]},
        {"segments": [{"from_step": 0, "kernels": here}, {"from_step": 50, "kernels": here}]},
        {"kernels": here},  # recorded before segments
        {},  # recorded before kernels
        {"segments": [{"from_step": 0, "kernels": here}, {"from_step": 50, "kernels": fixed}]},
    ]
    run_dirs = []
    for k, info in enumerate(infos):
        run_dir = tmp_path / f"seed_{k}"
        run_dir.mkdir()
        (run_dir / INFO_FILE).write_text(json.dumps({"num_timesteps": 100, **info}))
        run_dirs.append(str(run_dir))
    assert grid_kernels(run_dirs[:1] + run_dirs[2:4]) == [here]
    assert grid_kernels(run_dirs[:5]) == [here, fixed, UNRECORDED]
    # one run resumed under another branch is enough to mix the grid
    assert grid_kernels([run_dirs[0], run_dirs[5]]) == [here, fixed]


def test_a_resume_drops_the_segments_its_checkpoint_does_not_hold(tmp_path: Path) -> None:
    fixed = {"torch_cpu_capability": "AVX512", "mkl_branch": "COMPATIBLE"}
    earlier = [
        {"from_step": 0, "kernels": fixed},
        {"from_step": 500, "kernels": fixed},
        {"from_step": 1000, "kernels": fixed},  # killed before its first checkpoint
    ]
    (tmp_path / SEGMENTS_FILE).write_text(json.dumps(earlier))

    segments = record_segment(tmp_path, 1000)

    assert segments == earlier[:2] + [{"from_step": 1000, "kernels": kernels()}]
    assert json.loads((tmp_path / SEGMENTS_FILE).read_text()) == segments
    assert record_segment(tmp_path, 0) == [{"from_step": 0, "kernels": kernels()}]


def test_a_checkpoint_from_before_the_record_starts_an_unrecorded_segment(tmp_path: Path) -> None:
    assert record_segment(tmp_path, 500) == [
        {"from_step": 0, "kernels": UNRECORDED},
        {"from_step": 500, "kernels": kernels()},
    ]
