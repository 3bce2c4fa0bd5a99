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


def _mkl_branch_query(name: str, *args: int) -> str:
    """Ask one of MKL's branch service functions, which PyTorch links into libtorch_cpu and
    exports: a name of `MKL_BRANCHES`, "none" where this build has no MKL (PyTorch on ARM uses
    other libraries), "unknown" where the function cannot be found."""
    import torch

    if not torch.backends.mkl.is_available():
        return "none"
    try:
        library = ctypes.CDLL(str(Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"))
        query = getattr(library, name)
    except (OSError, AttributeError):
        return "unknown"
    query.restype = ctypes.c_int
    query.argtypes = [ctypes.c_int] * len(args)
    code = query(*args)
    return MKL_BRANCHES.get(code, f"code {code}")


def mkl_branch() -> str:
    """The MKL code branch of this process's PyTorch. Reading the branch does not fix it, so a
    later ``MKL_CBWR`` still applies."""
    return _mkl_branch_query("mkl_serv_cbwr_get", MKL_CBWR_BRANCH)


def mkl_auto_branch() -> str:
    """The branch MKL chooses for this processor by itself (``MKL_CBWR=AUTO``): a fact of the
    host, recorded beside the grid so that "by processor" can be read on any processor."""
    return _mkl_branch_query("mkl_serv_cbwr_get_auto_branch")


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
