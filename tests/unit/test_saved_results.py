"""Notebook 05 opened before notebooks 03 and 04 ran on its models folder says what to run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aura.evaluation.saved import saved_results


def test_each_missing_file_is_named_with_what_makes_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as err:
        saved_results(tmp_path)
    message = str(err.value)
    assert f"no {tmp_path / 'rl' / 'results.json'} (notebook 03 or aura train-rl)" in message
    assert "(notebook 04 or aura train-supervised)" in message
    (tmp_path / "rl").mkdir()
    (tmp_path / "rl" / "results.json").write_text(json.dumps({"results": {"x": 1}}))
    with pytest.raises(FileNotFoundError, match="no .*metrics.json") as err:
        saved_results(tmp_path)
    assert "results.json" not in str(err.value)


def test_both_files_are_read(tmp_path: Path) -> None:
    for name, payload in [
        ("rl/results.json", {"results": {"x": 1}}),
        ("supervised/metrics.json", {"m": 2}),
    ]:
        (tmp_path / name).parent.mkdir()
        (tmp_path / name).write_text(json.dumps(payload))
    assert saved_results(tmp_path) == ({"x": 1}, {"m": 2})
