"""Which compute kernels a process trains with: the record that tells two hosts' runs apart.

Training is deterministic on one kind of processor and takes another path from the same seed on
another (docs/rl.md, Determinism). What decides it here is MKL's code branch for the matrix
products, which MKL picks by processor unless ``MKL_CBWR`` fixes it: the same short runs gave
other weights under each branch, and the same weights whichever vector width (AVX2 or AVX-512)
PyTorch's own kernels used. Every run records both, for each process that trained part of it
(``segments`` in its ``train_info.json``), so that a difference between two hosts' runs can be
traced to them.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

MKL_CBWR_BRANCH = 1
"""``mkl_cbwr_get``'s option that asks for the code branch."""
MKL_BRANCHES = {
    1: "by processor",
    2: "AUTO",
    3: "COMPATIBLE",
    4: "SSE2",
    6: "SSSE3",
    7: "SSE4_1",
    8: "SSE4_2",
    9: "AVX",
    10: "AVX2",
    11: "AVX512_MIC",
    12: "AVX512",
    13: "AVX512_MIC_E1",
    14: "AVX512_E1",
}
"""MKL's branch codes. 1 (no reproducibility branch set) means MKL chooses its kernels for the
processor it runs on; the others are the branches ``MKL_CBWR`` can fix."""

UNRECORDED = {"recorded": "no"}
"""The kernels of training done before runs recorded them."""


def mkl_branch() -> str:
    """The MKL code branch of this process's PyTorch: a name of `MKL_BRANCHES`, or "none" where
    this build has no MKL (PyTorch on ARM uses other libraries)."""
    import torch

    if not torch.backends.mkl.is_available():
        return "none"
    # PyTorch links MKL into libtorch_cpu and exports its service functions; reading the branch
    # does not fix it, so a later MKL_CBWR still applies.
    try:
        library = ctypes.CDLL(str(Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"))
        get = library.mkl_serv_cbwr_get
    except (OSError, AttributeError):
        return "unknown"
    get.restype = ctypes.c_int
    get.argtypes = [ctypes.c_int]
    code = get(MKL_CBWR_BRANCH)
    return MKL_BRANCHES.get(code, f"code {code}")


def kernels() -> dict[str, str]:
    """PyTorch's vector width for its own kernels and MKL's branch for the matrix products."""
    import torch

    return {
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "mkl_branch": mkl_branch(),
    }


def describe(entry: dict[str, str]) -> str:
    """One line for a record of :func:`kernels` (or `UNRECORDED`), as the CLI prints it."""
    if "mkl_branch" not in entry:
        return "kernels not recorded"
    return f"MKL branch {entry['mkl_branch']}, PyTorch {entry['torch_cpu_capability']}"
