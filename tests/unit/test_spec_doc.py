"""docs/spec.md maps each item of the system spec to the files and names that implement it; a
rename or a move that leaves the map behind fails here, so the map stays one a reader can follow.
"""

from __future__ import annotations

import re

import yaml

from aura.config import PROJECT_ROOT
from aura.env_ids import AURA_ENV_IDS

DOC = PROJECT_ROOT / "docs" / "spec.md"
ROOTS = ("aura/", "docs/", "notebooks/", "params/", "benchmarks/", "tests/")
FILES = ("Dockerfile", "pyproject.toml")
ENV_ID = re.compile(r"aura/\w+-v\d+")


def quoted() -> set[str]:
    return set(re.findall(r"`([^`\n]+)`", DOC.read_text(encoding="utf-8")))


def defined_in(dotted: str) -> str | None:
    """Why `dotted` (`aura.pkg.module.name`, `aura.pkg.name` or a module) names nothing, or None:
    the longest prefix that is a module must define or re-export the rest's first name."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        base = PROJECT_ROOT.joinpath(*parts[:cut])
        module = (
            base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
        )
        if module.is_file():
            rest = parts[cut:]
            if not rest:
                return None
            source = module.read_text(encoding="utf-8")
            if re.search(
                rf"^(?:class|def|async def) {rest[0]}\b|^{rest[0]}\b\s*[:=]|\"{rest[0]}\"",
                source,
                re.M,
            ):
                return None
            return f"{'.'.join(parts[:cut])} defines no {rest[0]}"
    return "no such module"


def test_every_path_it_names_exists() -> None:
    paths = [t for t in quoted() if t.startswith(ROOTS) or t in FILES]
    paths = [p.rstrip("/") for p in paths if not ENV_ID.fullmatch(p) and "<" not in p]
    assert len(paths) >= 8
    missing = [p for p in paths if not (PROJECT_ROOT / p).exists()]
    assert not missing, f"docs/spec.md names missing paths: {missing}"


def test_every_environment_id_it_quotes_is_registered() -> None:
    ids = [t for t in quoted() if ENV_ID.fullmatch(t)]
    assert len(ids) == 2
    unknown = [i for i in ids if i not in AURA_ENV_IDS.values()]
    assert not unknown, f"docs/spec.md quotes unknown environment ids: {unknown}"


def test_every_aura_name_it_quotes_is_defined() -> None:
    names = set()
    for token in quoted():
        hit = re.match(r"(aura(?:\.\w+)+)", token)
        if hit:
            names.add(hit.group(1))
    assert len(names) >= 20
    wrong = {name: why for name in sorted(names) if (why := defined_in(name))}
    assert not wrong, f"docs/spec.md quotes names the code does not have: {wrong}"


def test_the_params_keys_it_quotes_are_in_the_default_params() -> None:
    params = yaml.safe_load((PROJECT_ROOT / "params" / "default.yaml").read_text(encoding="utf-8"))
    keys = [t for t in quoted() if re.fullmatch(r"\d\d_\w+(\.\w+)+", t)]
    assert keys
    for key in keys:
        value = params
        for part in key.split("."):
            assert isinstance(value, dict) and part in value, f"docs/spec.md: no {key} in params"
            value = value[part]


def test_the_readme_links_it() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/spec.md" in readme


def test_a_wrong_name_is_caught() -> None:
    """The check itself can fail: a name a module does not define, and a module not there."""
    assert defined_in("aura.envs.TutorMatchingEnv") is None
    assert defined_in("aura.envs.NoSuchEnv") == "aura.envs defines no NoSuchEnv"
    assert defined_in("aura.nowhere.thing") == "aura defines no nowhere"
    assert defined_in("nowhere.thing") == "no such module"
