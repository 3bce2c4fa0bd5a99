"""Project paths and the params files that drive a pipeline run.

Every path the code needs is derived here from the package location, so the project works the same
from a clone anywhere on disk, from a notebook whose working directory is ``notebooks/``, and from
the tests. Params files are plain YAML (see ``params/default.yaml`` for the layout); they are
validated on load so a typo fails before a long run starts, not in the middle of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT: Path = Path(__file__).resolve().parent.parent
"""The repository root (the directory that holds ``pyproject.toml``)."""

ARTIFACTS_DIR: Path = PROJECT_ROOT / "artifacts"
REPORTS_DIR: Path = PROJECT_ROOT / "reports"
RUNS_DIR: Path = REPORTS_DIR / "runs"
LATEST_LINK: Path = REPORTS_DIR / "latest"
BENCH_DIR: Path = REPORTS_DIR / "bench"
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"
PARAMS_DIR: Path = PROJECT_ROOT / "params"

SHARED_SECTION = "shared"
"""Name of the params section whose keys every notebook receives."""

SHARED_KEYS: tuple[str, ...] = ("seed", "data_dir", "models_dir", "artifacts_dir")
"""Keys the ``shared`` section must define."""

MAX_SEED = 2**31 - 1
"""The largest `shared.seed`: every draw is seeded from it plus an offset (millions, for the RL
references' episodes, `aura.rl.config`), and NumPy and scikit-learn take seeds below 2**32; a
seed near that limit passed the checks and stopped training after its first runs."""


class ParamsError(ValueError):
    """A params file is missing, is not valid YAML, or lacks something a run needs."""


def project_path(path: str | Path) -> Path:
    """Resolve a params path against the project root.

    Params files hold paths relative to the project root so that they mean the same thing whatever
    the working directory (notebooks run from ``notebooks/``). Absolute paths pass through.
    """
    p = Path(path).expanduser()
    return p if p.is_absolute() else PROJECT_ROOT / p


def project_relative(path: str | Path) -> str:
    """A path as a params file writes it: from the project root when it lies under it, absolute
    otherwise. Records (metrics, run folders) keep paths this way, so that they read the same in
    every clone and show nothing of the machine they were made on."""
    resolved = project_path(path).resolve()
    root = PROJECT_ROOT.resolve()
    return str(resolved.relative_to(root)) if resolved.is_relative_to(root) else str(resolved)


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping: plain YAML keeps the last,
    so a second ``01_data_synthesis:`` block would silently replace the first."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        """An integer, refusing a leading zero: YAML 1.1 reads ``020240601`` as octal
        (4276609), so a seed written with one silently became another seed."""
        text = str(node.value).replace("_", "").lstrip("+-")
        if len(text) > 1 and text.startswith("0") and text.isdigit():
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{node.value} has a leading 0, which YAML reads as an octal number "
                f"({super().construct_yaml_int(node)}); write it without the 0",
                node.start_mark,
            )
        return super().construct_yaml_int(node)


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:int", _UniqueKeyLoader.construct_yaml_int)


def shared_problem(shared: Mapping[str, Any], section: str = SHARED_SECTION) -> str | None:
    """What is wrong with the ``shared`` keys given (a seed that is no seed, a folder that is no
    path), or None. A params file's are checked on load; a notebook run by itself (papermill
    ``-p seed abc``, ``-p data_dir 5``) checks its own with this, since they reached NumPy's
    seeding or ``pathlib`` and stopped there in a TypeError cells later. ``section`` names the
    section the keys are given in: a notebook's own section may give one over the shared value."""
    if "seed" in shared:
        seed = shared["seed"]
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
            return (
                f"{section}.seed must be an integer 0 to {MAX_SEED:,} (the seeds drawn from it, up "
                f"to millions above it, must stay below 2**32 for NumPy and scikit-learn), got "
                f"{seed!r}"
            )
    for key in SHARED_KEYS[1:]:
        if key in shared:
            folder = shared[key]
            if not isinstance(folder, str | PathLike) or not str(folder).strip():
                return f"{section}.{key} must be a folder path, got {folder!r}"
    return None


def load_params(path: str | Path) -> dict[str, Any]:
    """Read and validate a params YAML file.

    Checks that the file exists, is UTF-8, parses as a YAML mapping with no key given twice, has
    a ``shared`` section with ``seed`` (a non-negative integer) and the three directory keys
    (non-empty paths), and that every other section is a mapping. Every error names the file and
    says what is wrong.
    """
    path = Path(path)
    if path.is_dir():
        raise ParamsError(f"params file {path} is a folder; name a YAML file")
    if not path.is_file():
        if path.exists():  # <(...), /dev/stdin: it is read more than once, so a file it must be
            raise ParamsError(
                f"params file {path} is not a regular file (a pipe or a device); save it as one"
            )
        raise ParamsError(f"params file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ParamsError(
            f"params file {path} is not UTF-8 text (byte {exc.start}: {exc.object[exc.start]:#04x})"
        ) from None
    return parse_params(text, path)


def yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's error on one line, placed by line and column of the file (``" (line 2, column
    1): ..."``, or ``": ..."`` where it gives no place): its own text spans several lines, names
    the file ``"<unicode string>"`` and quotes it with a caret."""

    def at(mark: Any) -> str:
        return f"line {mark.line + 1}, column {mark.column + 1}"

    problem = getattr(exc, "problem", None)
    if problem is None:
        return ": " + " ".join(str(exc).split())
    mark = getattr(exc, "problem_mark", None)
    where = f" ({at(mark)}): " if mark is not None else ": "
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None and context_mark != mark:
        return f"{where}{problem}, {context} that starts at {at(context_mark)}"
    return f"{where}{problem}" + (f", {context}" if context else "")


def _yaml_kind(value: Any) -> str:
    """What YAML read ``value`` as, in words ("a boolean", "a list")."""
    if value is None:
        return "nothing (null)"
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "text", list: "a list"}
    return kinds.get(type(value), f"a {type(value).__name__}")


def _name_problem(params: dict[Any, Any]) -> str | None:
    """A section's name, or a key of a section, that YAML read as something other than text, or
    None. ``on:`` is a boolean and ``1:`` a number to YAML; such a key reached the checks that
    join names into a message, which stopped in a TypeError traceback."""
    sections = [(None, params)] + [(k, v) for k, v in params.items() if isinstance(v, dict)]
    for section, names in sections:
        for name in names:
            if not isinstance(name, str):
                where = "a section's name" if section is None else f"a key of section '{section}'"
                return (
                    f"{where}, {name!r}, is read by YAML as {_yaml_kind(name)}, not a name (on, "
                    "off, yes, no, true and false are booleans, null nothing, digits numbers); "
                    "quote it if it is meant"
                )
    return None


def parse_params(text: str, path: str | Path) -> dict[str, Any]:
    """:func:`load_params` of a params file's text; ``path`` names it in every error."""
    try:
        params = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: no Python objects
    except yaml.YAMLError as exc:
        raise ParamsError(f"params file {path} is not valid YAML{yaml_problem(exc)}") from None

    if not isinstance(params, dict):
        kind = "empty" if params is None else _yaml_kind(params)
        raise ParamsError(f"params file {path} must be a mapping of sections, but it is {kind}")
    problem = _name_problem(params)
    if problem:
        raise ParamsError(f"params file {path}: {problem}")

    shared = params.get(SHARED_SECTION)
    if shared is None:
        raise ParamsError(f"params file {path} has no '{SHARED_SECTION}:' section")
    if not isinstance(shared, dict):
        raise ParamsError(f"params file {path}: section '{SHARED_SECTION}' must be a mapping")
    missing = [k for k in SHARED_KEYS if k not in shared]
    if missing:
        raise ParamsError(
            f"params file {path}: section '{SHARED_SECTION}' is missing key(s) {', '.join(missing)}"
        )
    problem = shared_problem(shared)
    if problem:
        raise ParamsError(f"params file {path}: {problem}")

    for name, section in params.items():
        if not isinstance(section, dict):
            raise ParamsError(
                f"params file {path}: section '{name}' must be a mapping "
                "(use '{}' for a notebook without parameters)"
            )
    return params


def notebook_params(params: dict[str, Any], stem: str, *, source: str | Path = "params") -> dict:
    """The parameters one notebook receives: the shared keys, then its own section on top.

    A notebook's own section wins over a shared key of the same name. A missing section is an
    error rather than silently running the notebook on its literal defaults, which are sized for
    quick interactive runs and would make a report mean something other than its params say.
    """
    if stem not in params:
        raise ParamsError(
            f"{source} has no '{stem}:' section for notebook {stem}.ipynb "
            "(add one; '{}' if the notebook takes no parameters)"
        )
    return {**params[SHARED_SECTION], **params[stem]}
