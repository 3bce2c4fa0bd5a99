"""Params files written from other params files, their comments and layout kept.

A study is a params file that differs from another in a few values (PPO on one environment,
another discount, another models folder). Written by hand, such a copy drifts from its base and
nothing records what it changed; `derive_params` writes it from the base's own text with only the
named values changed and a header that lists them, so a diff against the base shows exactly the
study. Tuning writes its best trial the same way (`aura.rl.tune_results.write_best_params`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from aura.config import ParamsError, load_params, parse_params

COMMAND = "aura params derive"


def round_trip_yaml() -> Any:
    """A ruamel.yaml round-trip dumper whose output PyYAML (and so `load_params`) reads back the
    same: no line wrapping, and floats always written with a dot in the mantissa (YAML 1.1, which
    PyYAML follows, reads ``1e-05`` as a string)."""
    from ruamel.yaml import YAML

    def represent_float(representer: Any, value: float) -> Any:
        text = repr(value)
        mantissa, e, exponent = text.partition("e")
        if e and "." not in mantissa:
            text = f"{mantissa}.0e{exponent}"
        return representer.represent_scalar("tag:yaml.org,2002:float", text)

    rt = YAML()
    rt.width = 4096
    rt.representer.add_representer(float, represent_float)
    return rt


def new_flow_map() -> Any:
    """An empty mapping written on one line, as the params files write hyperparameter blocks."""
    from ruamel.yaml.comments import CommentedMap

    mapping = CommentedMap()
    mapping.fa.set_flow_style()
    return mapping


def child_mapping(parent: Any, key: str) -> Any:
    """``parent[key]``, made an empty block mapping where it is missing or null (a params file
    may leave a block to the code's defaults)."""
    from ruamel.yaml.comments import CommentedMap

    if parent.get(key) is None:
        parent[key] = CommentedMap()
    return parent[key]


def parse_setting(setting: str) -> tuple[list[str], Any]:
    """``section.key.subkey=value`` as the key's path and the value read as YAML
    (``[ppo]`` a list, ``2e-3`` a number, ``models/x`` a string)."""
    key, sep, text = setting.partition("=")
    path = key.strip().split(".")
    if not sep or not all(path):
        raise ParamsError(f"--set {setting!r}: expected section.key=value")
    if len(path) < 2:
        raise ParamsError(
            f"--set {setting!r}: {path[0]} names a whole section; set one of its keys "
            "(section.key=value)"
        )
    if not text.strip():
        raise ParamsError(f"--set {setting!r}: no value after '=' (write null for none)")
    from ruamel.yaml import YAML

    try:
        value = YAML(typ="safe").load(text)
    except Exception as exc:  # ruamel's errors share no base class worth naming
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ParamsError(f"--set {setting!r}: the value is not valid YAML ({reason})") from None
    return path, _flow(value)


def _flow(value: Any) -> Any:
    """Lists and mappings written on one line, as the params files write them."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, list):
        node = CommentedSeq(_flow(v) for v in value)
    elif isinstance(value, dict):
        node = CommentedMap((k, _flow(v)) for k, v in value.items())
    else:
        return value
    node.fa.set_flow_style()
    return node


def _lookup(params: Mapping[str, Any], path: Sequence[str]) -> Any:
    node: Any = params
    for key in path:
        node = node[key]
    return node


def _plain(node: Any) -> Any:
    """A round-trip YAML node as the plain value a safe load gives: ruamel's scalars subclass
    int, float and str (and its booleans int), which `_same` must not take for each other."""
    if isinstance(node, Mapping):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    if isinstance(node, bool) or type(node).__name__ == "ScalarBoolean":
        return bool(node)
    for kind in (int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same types all the way down: 1 and 1.0 (one feature and all of them,
    as scikit-learn's max_features reads them) or 1 and true are different settings."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def derive_params(base: Path, settings: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """The text of ``base`` with each ``section.key=value`` of ``settings`` set, and the params
    it holds. Missing mappings on a key's path are made; a path through a value that is not a
    mapping is refused. Whether the result is a params file the pipeline accepts is the caller's
    to check (`aura.params_check`)."""
    if not settings:
        raise ParamsError("nothing to change: give at least one --set section.key=value")
    load_params(base)  # a missing or malformed base is named as such
    rt = round_trip_yaml()
    doc = rt.load(base.read_text(encoding="utf-8"))
    changes = [parse_setting(s) for s in settings]
    paths = [".".join(path) for path, _ in changes]
    twice = sorted({p for p in paths if paths.count(p) > 1})
    if twice:
        raise ParamsError(f"--set {', '.join(twice)} given more than once; give each key once")
    for path, value in changes:
        node = doc
        for depth, key in enumerate(path[:-1], start=1):
            node = child_mapping(node, key)
            if not isinstance(node, Mapping):
                raise ParamsError(
                    f"--set {'.'.join(path)}: {'.'.join(path[:depth])} in {base} is "
                    f"{node!r}, not a mapping"
                )
        if path[-1] in node and _same(_plain(node[path[-1]]), _plain(value)):
            raise ParamsError(
                f"--set {'.'.join(path)}: {base} has {_plain(node[path[-1]])!r} already; a "
                "derived file's header lists what changes, so leave it out"
            )
        node[path[-1]] = value
    header = f"# {base.name} with, by `{COMMAND}`:\n" + "".join(
        f"#   {'.'.join(path)}={' '.join(setting.partition('=')[2].split())}\n"
        for (path, _), setting in zip(changes, settings, strict=True)
    )
    body = io.StringIO()
    rt.dump(doc, body)
    text = header + body.getvalue()
    read_back = yaml.safe_load(text)  # first: a value read back otherwise explains a refusal
    for path, value in changes:
        read = _lookup(read_back, path)
        if read != value:
            raise ParamsError(
                f"--set {'.'.join(path)}: {value!r} would read back from the file as {read!r}; "
                "quote it or write it another way"
            )
    return text, parse_params(text, f"{base} with the changes")
