"""docs/extending.md names files and symbols to change; a rename that leaves it behind fails here.

Every `path` it names exists, and every code name it quotes (a name with an underscore or in
CamelCase) occurs in the package or the tests, but the few it quotes from Stable-Baselines3 or as
examples of what a fork would write or misspell.
"""

from __future__ import annotations

import re

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
