"""The kernels a run records (`aura.rl.numerics`) are the ones its process computes with: MKL's
code branch follows ``MKL_CBWR``, which each case sets in a fresh process because MKL reads it
once. A grid lists the distinct kernels of its runs (`aura.rl.experiment.grid_kernels`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from aura.rl.experiment import grid_kernels
from aura.rl.numerics import MKL_BRANCHES, kernels
from aura.rl.train import INFO_FILE

needs_mkl = pytest.mark.skipif(
    not torch.backends.mkl.is_available(), reason="this PyTorch build has no MKL"
)

READ = "import json; from aura.rl.numerics import kernels; print(json.dumps(kernels()))"


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
def test_a_fixed_branch_is_read_back() -> None:
    assert kernels_in_process("COMPATIBLE")["mkl_branch"] == "COMPATIBLE"


@needs_mkl
def test_this_process_reads_a_known_branch() -> None:
    assert kernels()["mkl_branch"] in MKL_BRANCHES.values()


def test_a_grid_lists_each_distinct_kernels_once(tmp_path: Path) -> None:
    here = {"torch_cpu_capability": "AVX512", "mkl_branch": "by processor"}
    fixed = {"torch_cpu_capability": "AVX512", "mkl_branch": "COMPATIBLE"}
    infos = [{"kernels": here}, {"kernels": fixed}, {"kernels": here}, {}]
    run_dirs = []
    for k, info in enumerate(infos):
        run_dir = tmp_path / f"seed_{k}"
        run_dir.mkdir()
        (run_dir / INFO_FILE).write_text(json.dumps({"num_timesteps": 10, **info}))
        run_dirs.append(str(run_dir))
    assert grid_kernels(run_dirs[:1] + run_dirs[2:3]) == [here]
    assert grid_kernels(run_dirs) == [here, fixed, {"recorded": "no"}]
