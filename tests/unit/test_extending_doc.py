"""docs/extending.md names files and symbols to change; a rename that leaves it behind fails here.

Every `path` it names exists, and every code name it quotes (a name with an underscore or in
CamelCase) occurs in the package or the tests, but the few it quotes from Stable-Baselines3 or as
examples of what a fork would write or misspell. And what a fork extends is named where it
extends it: every class variable of an algorithm in recipe 1, and every table keyed by the
models, the notebooks or the environments in recipes 4, 6 and 7.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from typing import Any

from aura.config import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "extending.md"
NOT_AURA = {
    "n_quantiles",  # sb3-contrib's QRDQN arguments and network
    "optimizer_class",
    "quantile_net",
    "QRDQNParams",  # the classes and the option a fork would write
    "SessionLengthEnv",
    "EngagementBonus",
    "reward_scale",
    "sesion_count",  # the misspelling the recipe says is refused
}
ROOTS = ("aura/", "tests/", "params/", "docs/", "notebooks/", "benchmarks/")


def quoted() -> set[str]:
    return set(re.findall(r"`([^`\n]+)`", DOC.read_text(encoding="utf-8")))


def test_every_path_it_names_exists() -> None:
    paths = [t for t in quoted() if t.startswith(ROOTS) and "<" not in t and "NN_" not in t]
    assert len(paths) > 30
    missing = [p for p in paths if not (PROJECT_ROOT / p).exists()]
    assert not missing, f"docs/extending.md names missing paths: {missing}"


def test_every_code_name_it_quotes_is_in_the_code() -> None:
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("aura", "tests")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
    )
    names = set()
    for token in quoted():
        if token.startswith(ROOTS) or not re.fullmatch(r"[\w.]+(\(.*\))?", token):
            continue
        for name in re.findall(r"[A-Za-z_]\w*", token):
            if "_" in name.strip("_") or re.search(r"[a-z][A-Z]", name):
                names.add(name)
    assert len(names) > 50
    missing = sorted(n for n in names - NOT_AURA if not re.search(rf"\b{n}\b", source))
    assert not missing, f"docs/extending.md quotes names the code does not have: {missing}"


def recipe(number: int) -> str:
    """The text of recipe ``number`` (its ``## N.`` heading to the next heading)."""
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"^## {number}\. .*?(?=^## |\Z)", text, re.S | re.M)
    assert found, f"docs/extending.md has no recipe {number}"
    return found.group()


def quoted_in(text: str, name: str) -> bool:
    return any(re.search(rf"\b{name}\b", t) for t in re.findall(r"`([^`\n]+)`", text))


@functools.cache
def tables() -> dict[str, dict[str, Any]]:
    """Every module-level constant dict of the package, by name, but those of `aura.api` and
    `aura.cli`, whose modules read artifacts or settings as they are imported."""
    import aura

    found: dict[str, dict[str, Any]] = {}
    for module in pkgutil.walk_packages(aura.__path__, "aura."):
        if module.name.startswith(("aura.api", "aura.cli")):
            continue
        for name, value in vars(importlib.import_module(module.name)).items():
            if name.isupper() and isinstance(value, dict) and value:
                found[name] = value
    return found


def test_recipe_1_names_every_class_variable_of_an_algorithm() -> None:
    """A new algorithm sets the class variables of `AlgoParams`; one the recipe leaves out is
    one a fork leaves at the default (`sb3_adam_eps` was)."""
    from aura.rl.config.algorithms import AlgoParams

    class_vars = [n for n, hint in AlgoParams.__annotations__.items() if "ClassVar" in str(hint)]
    assert len(class_vars) >= 4
    missing = [n for n in class_vars if not quoted_in(recipe(1), n)]
    assert not missing, f"recipe 1 does not name AlgoParams' class variables {missing}"


def test_recipes_name_every_table_keyed_by_what_they_add() -> None:
    """A table keyed by every model, environment or notebook is one a fork adding one extends:
    recipe 4 names those of the models, 7 those of the environments, 6 those of the notebooks
    (`SUPERVISED_PRIMARY`, `NOTEBOOK_SCHEMAS` and `FOLDERS_WRITTEN` were left out). A table of
    the environments is one keyed by at least the AURA ones: recipe 7 adds a fork's environment
    to `BASELINES` and leaves it out of `AURA_ENV_IDS`, and this test then found none of them."""
    from aura.config import NOTEBOOKS_DIR
    from aura.env_ids import AURA_ENV_IDS
    from aura.reports.runner import NOTEBOOK_PATTERN
    from aura.supervised.features import MODEL_NAMES

    stems = {p.stem for p in NOTEBOOKS_DIR.glob("*.ipynb") if NOTEBOOK_PATTERN.match(p.name)}
    kinds = {
        4: lambda keys: keys == set(MODEL_NAMES),
        7: lambda keys: keys >= set(AURA_ENV_IDS),
        6: lambda keys: len(keys) > 1 and keys <= stems,
    }
    for number, keyed in kinds.items():
        names = sorted(n for n, table in tables().items() if keyed(set(table)))
        assert len(names) >= 3, (number, names)
        missing = [n for n in names if not quoted_in(recipe(number), n)]
        assert not missing, f"recipe {number} does not name the tables {missing}"
