"""`aura params derive` writes a params file from another, only the named values changed, and
refuses (writing nothing) what the pipeline would refuse; `aura params check` checks as
`aura run` does before it starts."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aura.cli import app
from aura.config import PARAMS_DIR, ParamsError, load_params
from aura.params_edit import derive_params, parse_setting

DEFAULT = PARAMS_DIR / "default.yaml"
PPO_DIFFICULTY = "03_rl_training.hyperparams.ppo.difficulty_adaptation"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["params", *args])
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())  # the console may wrap a line


def changed_lines(base: Path, text: str) -> list[str]:
    diff = difflib.unified_diff(base.read_text().splitlines(), text.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_only_the_named_values_change_and_the_header_lists_them() -> None:
    text, params = derive_params(
        DEFAULT,
        [
            "03_rl_training.algorithms=[ppo]",
            "03_rl_training.seeds=5",
            f"{PPO_DIFFICULTY}.learning_rate=1e-4",
            "shared.models_dir=models/ppo-difficulty",
        ],
    )
    base = load_params(DEFAULT)
    assert params["03_rl_training"]["algorithms"] == ["ppo"]
    assert params["03_rl_training"]["seeds"] == 5
    block = params["03_rl_training"]["hyperparams"]["ppo"]["difficulty_adaptation"]
    assert block == {
        **base["03_rl_training"]["hyperparams"]["ppo"]["difficulty_adaptation"],
        "learning_rate": 1e-4,
    }  # a float, though PyYAML reads '1e-4' as a string
    assert params["shared"]["models_dir"] == "models/ppo-difficulty"
    for section in ("01_data_synthesis", "02_environment_design", "04_supervised_training"):
        assert params[section] == base[section]

    lines = changed_lines(DEFAULT, text)
    assert lines[:5] == [
        "+# default.yaml with, by `aura params derive`:",
        "+#   03_rl_training.algorithms=[ppo]",
        "+#   03_rl_training.seeds=5",
        f"+#   {PPO_DIFFICULTY}.learning_rate=1e-4",
        "+#   shared.models_dir=models/ppo-difficulty",
    ]
    body = lines[5:]
    assert len(body) == 8, body  # four lines out, four in: comments and layout kept
    assert "+  algorithms: [ppo]" in body  # one line, as the file writes lists
    assert any(x.startswith("+  seeds: 5 ") and x.endswith("seeded shared.seed + k") for x in body)


def test_missing_mappings_on_the_path_are_made() -> None:
    _, params = derive_params(
        DEFAULT, ["03_rl_training.envs.difficulty_adaptation.kwargs.max_steps=20"]
    )
    assert params["03_rl_training"]["envs"] == {
        "difficulty_adaptation": {"kwargs": {"max_steps": 20}}
    }


@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        ("seeds", "expected section.key=value"),
        ("03_rl_training..seeds=1", "expected section.key=value"),
        ("03_rl_training.seeds=", "no value after '='"),
        ("shared.seed=[1", "the value is not valid YAML (expected ',' or ']'"),
    ],
)
def test_a_setting_that_cannot_be_read_is_named(setting: str, problem: str) -> None:
    with pytest.raises(ParamsError) as err:
        parse_setting(setting)
    assert str(err.value).startswith(f"--set {setting!r}: {problem}")


def test_a_path_through_a_value_and_a_value_yaml_reads_otherwise_are_refused() -> None:
    with pytest.raises(ParamsError, match=r"shared\.seed in .*default\.yaml is 20240601, not a"):
        derive_params(DEFAULT, ["shared.seed.x=1"])
    with pytest.raises(ParamsError, match="'yes' would read back from the file as True"):
        derive_params(DEFAULT, ["shared.data_dir=yes"])
    with pytest.raises(ParamsError, match="nothing to change"):
        derive_params(DEFAULT, [])
    with pytest.raises(ParamsError, match=r"--set shared\.seed given more than once"):
        derive_params(DEFAULT, ["shared.seed=1", "shared.seed=2"])


@pytest.mark.parametrize(
    "setting",
    [
        "03_rl_training.tune.env_key=difficulty_adaptation",
        "03_rl_training.algorithms=[ppo, dqn, a2c]",
        "03_rl_training.training={total_timesteps: 100000, eval_freq: 5000, "
        "n_eval_episodes: 10, save_freq: 10000}",
    ],
)
def test_a_value_the_base_already_has_is_not_a_change(setting: str) -> None:
    """A study's header listed a change that was none (tune-ppo-difficulty-adaptation-full-budget
    "set" the tuned environment default.yaml already has), and the command counted it."""
    key = setting.partition("=")[0]
    with pytest.raises(ParamsError, match=re.escape(f"--set {key}: {DEFAULT} has ")):
        derive_params(DEFAULT, [setting, "shared.models_dir=models/x"])


def test_a_value_of_another_type_is_a_change(tmp_path: Path) -> None:
    """1 and 1.0 are equal in Python and different settings (max_features: one feature, or all
    of them), as are 1 and true; 1.0e-05 and 1.0e-5 are one number."""
    base = tmp_path / "base.yaml"
    text = DEFAULT.read_text(encoding="utf-8")
    text = text.replace(
        "compatibility: {n_estimators: 200, max_features: 0.5}",
        "compatibility: {n_estimators: 200, max_features: 1.0}",
        1,
    )
    text = text.replace("learning_rate: 2.0e-3", "learning_rate: 1.0e-05", 1)
    base.write_text(text, encoding="utf-8")
    forest = "04_supervised_training.forest.compatibility.max_features"
    for setting in (f"{forest}=1", "04_supervised_training.out_of_sample=1"):
        derive_params(base, [setting, "shared.models_dir=models/x"])  # a change: no refusal
    with pytest.raises(ParamsError, match=re.escape(f"--set {forest}: {base} has 1.0 already")):
        derive_params(base, [f"{forest}=1.0", "shared.models_dir=models/x"])
    rate = "03_rl_training.hyperparams.ppo.tutor_matching.learning_rate"
    with pytest.raises(ParamsError, match=re.escape(f"--set {rate}: {base} has 1e-05 already")):
        derive_params(base, [f"{rate}=1.0e-5", "shared.models_dir=models/x"])


def test_the_command_writes_a_file_training_accepts(tmp_path: Path) -> None:
    out = tmp_path / "study" / "ppo.yaml"
    code, output = invoke(
        "derive", "--out", str(out), "--set", "03_rl_training.algorithms=[ppo]",
        "--set", f"shared.models_dir={tmp_path / 'models'}",
        "--set", f"shared.artifacts_dir={tmp_path / 'artifacts'}",
    )  # fmt: skip
    assert code == 0, output
    assert output == f"wrote {out}: {DEFAULT} with 3 change(s), checked"
    from aura.rl.config.experiment import load_experiment

    assert load_experiment(out).algorithms == ("ppo",)


def test_the_command_notes_folders_shared_with_the_base(tmp_path: Path) -> None:
    out = tmp_path / "seeds.yaml"
    code, output = invoke("derive", "-o", str(out), "-s", "03_rl_training.seeds=5")
    assert code == 0
    assert "note: it keeps" in output and "models_dir (models/default)" in output
    assert "artifacts_dir (artifacts): its export (aura export, notebook 06) replaces" in output


def test_a_features_mapping_that_names_one_model_keeps_the_others_defaults(
    tmp_path: Path,
) -> None:
    """The README's five-input engagement model, derived from params that list no features (as
    smoke.yaml): the compatibility model keeps its default inputs, which the export's check of
    them reads; it used to stop on a bare KeyError 'compatibility'."""
    from aura.supervised.features import FEATURES
    from aura.supervised.training import supervised_config

    out = tmp_path / "five-inputs.yaml"
    five = "[duration_hours, attention_span_minutes, comfort_level_online, style_match]"
    code, output = invoke(
        "derive",
        "-p",
        str(PARAMS_DIR / "smoke.yaml"),
        "-o",
        str(out),
        "-s",
        f"04_supervised_training.features.engagement={five}",
    )
    assert code == 0, output
    config = supervised_config(load_params(out)["04_supervised_training"])
    assert config.features["engagement"] == five.strip("[]").split(", ")
    assert config.features["compatibility"] == FEATURES["compatibility"]
    assert config.features["difficulty"] == FEATURES["difficulty"]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("03_rl_training.seeds=0", "03_rl_training.seeds must be > 0, got 0"),
        ("03_rl_training.sedes=4", "section '03_rl_training' has key(s) sedes, which"),
        ("04_supervised_training.test_size=0.3", "06_model_export.test_size is 0.2 but"),
        (
            "04_supervised_training.features={compatibility: [age, teaching_effectiveness]}",
            "features.compatibility has ['teaching_effectiveness'], which the tutor-match "
            "endpoint cannot fill",
        ),
    ],
)
def test_the_command_writes_nothing_the_pipeline_would_refuse(
    tmp_path: Path, setting: str, message: str
) -> None:
    out = tmp_path / "bad.yaml"
    code, output = invoke("derive", "-o", str(out), "-s", setting)
    assert code == 1
    assert output.startswith(f"error: nothing written to {out}: {DEFAULT} with the changes: ")
    assert message in output
    assert not out.exists()


def test_the_command_keeps_an_existing_file_and_the_base(tmp_path: Path) -> None:
    out = tmp_path / "kept.yaml"
    out.write_text("mine")
    code, output = invoke("derive", "-o", str(out), "-s", "shared.seed=3")
    assert (code, output) == (1, f"error: {out} exists; --force overwrites it")
    assert out.read_text() == "mine"
    code, _ = invoke("derive", "-o", str(out), "-s", "shared.seed=3", "--force")
    assert code == 0 and load_params(out)["shared"]["seed"] == 3
    code, output = invoke("derive", "-o", str(DEFAULT), "-s", "shared.seed=3", "--force")
    assert code == 1 and "is the params file it derives from" in output


def test_check_passes_the_project_files_and_names_a_problem(tmp_path: Path) -> None:
    code, output = invoke("check", "--params", str(PARAMS_DIR / "smoke.yaml"))
    assert code == 0
    assert output.endswith(
        "sections checked: 01_data_synthesis, 02_environment_design, "
        "03_rl_training, 04_supervised_training, 05_evaluation, 06_model_export"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(derive_params(DEFAULT, ["05_evaluation.n_bootstrap=0"])[0])
    code, output = invoke("check", "-p", str(bad))
    assert (code, output) == (
        1, f"error: {bad}: 05_evaluation.n_bootstrap: Input should be greater than 0, got 0"
    )  # fmt: skip


def test_a_refusal_prints_the_setting_as_given(tmp_path: Path) -> None:
    """A value such as [bold] is printed, not taken for the console's markup."""
    out = tmp_path / "x.yaml"
    code, output = invoke("derive", "-o", str(out), "-s", "shared.data_dir=[bold]x")
    assert code == 1
    assert output.startswith(f"error: nothing written to {out}: --set 'shared.data_dir=[bold]x'")


def test_the_command_refuses_a_folder_as_out_and_a_whole_section(tmp_path: Path) -> None:
    code, output = invoke("derive", "-o", str(tmp_path), "-s", "shared.seed=3", "--force")
    assert (code, output) == (
        1,
        f"error: --out {tmp_path} is a folder; name a file to write",
    )
    assert list(tmp_path.iterdir()) == []
    code, output = invoke("derive", "-o", str(tmp_path / "x.yaml"), "-s", "seeds=3")
    assert code == 1
    assert "--set 'seeds=3': seeds names a whole section; set one of its keys" in output
    assert not (tmp_path / "x.yaml").exists()


def test_the_command_refuses_an_out_that_is_no_file_or_has_no_folder(tmp_path: Path) -> None:
    code, output = invoke("derive", "-o", "/dev/null", "-s", "shared.seed=3", "--force")
    assert (code, output) == (
        1,
        "error: --out /dev/null is not a regular file; name a file to write",
    )
    a_file = tmp_path / "notes.txt"
    a_file.write_text("kept\n")
    code, output = invoke("derive", "-o", str(a_file / "x.yaml"), "-s", "shared.seed=3")
    assert (code, output) == (
        1,
        f"error: --out {a_file / 'x.yaml'} lies under {a_file}, which is a file, not a folder",
    )
    assert a_file.read_text() == "kept\n"


def test_the_command_refuses_an_export_over_the_models(tmp_path: Path) -> None:
    """The export replaces its folder whole: an artifacts_dir that holds the models would take
    the trained grid with it."""
    out = tmp_path / "same.yaml"
    code, output = invoke(
        "derive", "-o", str(out),
        "-s", "shared.models_dir=models/x", "-s", "shared.artifacts_dir=models",
    )  # fmt: skip
    assert code == 1
    assert "shared.artifacts_dir models holds shared.models_dir models/x: the export replaces" in (
        output
    )
    assert not out.exists()


@pytest.mark.parametrize(("given", "written"), [("1e-5", "1.0e-05"), ("3e-7", "3.0e-07")])
def test_a_value_python_writes_with_an_exponent_reads_back_as_a_number(
    given: str, written: str
) -> None:
    """Python writes 1e-05 without a dot, which YAML 1.1 (PyYAML, so `load_params`) reads as a
    string: the derived file writes the mantissa with one."""
    import yaml

    text, params = derive_params(DEFAULT, [f"{PPO_DIFFICULTY}.learning_rate={given}"])
    assert f"learning_rate: {written}" in text
    read = yaml.safe_load(text)["03_rl_training"]["hyperparams"]["ppo"]["difficulty_adaptation"]
    assert read["learning_rate"] == float(given)
    assert params["03_rl_training"]["hyperparams"]["ppo"]["difficulty_adaptation"][
        "learning_rate"
    ] == float(given)


def test_spaces_around_a_setting_are_no_part_of_its_key() -> None:
    """`--set " shared.seed = 3"`, as a shell line continued or a key copied with its indent
    gives it, sets shared.seed: not a new section named " shared"."""
    text, params = derive_params(DEFAULT, [" shared.seed = 3"])
    assert params["shared"]["seed"] == 3
    assert " shared" not in params
    assert "#   shared.seed=3\n" in text


def test_lists_and_mappings_inside_a_list_are_written_on_its_line() -> None:
    """SB3's ``net_arch`` can be a list of mappings of lists: the whole value stays on its
    block's one line, as the params files write hyperparameters, and reads back as given."""
    import yaml

    setting = f"{PPO_DIFFICULTY}.policy_kwargs={{net_arch: [{{pi: [64, 64], vf: [32]}}, [8]]}}"
    text, _ = derive_params(DEFAULT, [setting])
    assert " policy_kwargs: {net_arch: [{pi: [64, 64], vf: [32]}, [8]]}}\n" in text
    read = yaml.safe_load(text)["03_rl_training"]["hyperparams"]["ppo"]["difficulty_adaptation"]
    assert read["policy_kwargs"] == {"net_arch": [{"pi": [64, 64], "vf": [32]}, [8]]}


def test_a_base_that_cannot_be_read_is_named_as_such(tmp_path: Path) -> None:
    """A missing base, or one that is no params file, is refused in the words `aura run` uses
    for it, not with the YAML reader's traceback."""
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    for name, problem in [
        ("missing.yaml", "params file not found"),
        ("list.yaml", "must be a mapping of sections, but it is a list"),
    ]:
        with pytest.raises(ParamsError, match=re.escape(problem)):
            derive_params(tmp_path / name, ["shared.seed=1"])


def test_a_block_left_empty_in_the_base_is_filled(tmp_path: Path) -> None:
    """A params file may leave a block empty (``a2c:``, null) to the code's defaults; setting a
    key under it makes the block, as for a block that is not there."""
    base = tmp_path / "base.yaml"
    text = DEFAULT.read_text()
    assert "\n    a2c:\n" in text  # the algorithm's block, as default.yaml writes it
    head, tail = text.split("\n    a2c:\n", 1)
    rest = tail.split("\n", 1)
    while rest[1].startswith("      "):  # the block's own lines
        rest = rest[1].split("\n", 1)
    base.write_text(f"{head}\n    a2c:\n{rest[1]}")
    assert load_params(base)["03_rl_training"]["hyperparams"]["a2c"] is None
    _, params = derive_params(
        base, ["03_rl_training.hyperparams.a2c.difficulty_adaptation.gamma=0.9"]
    )
    assert params["03_rl_training"]["hyperparams"]["a2c"] == {
        "difficulty_adaptation": {"gamma": 0.9}
    }


def test_a_value_of_spaces_alone_is_no_value() -> None:
    """`--set "shared.seed= "` (a variable that expanded to nothing) would set null."""
    with pytest.raises(ParamsError, match=re.escape("no value after '=' (write null for none)")):
        parse_setting("shared.seed=  ")


def test_a_new_hyperparameter_block_is_written_on_one_line() -> None:
    """Tuning writes its best trial's block, made from nothing, as the params files write one."""
    import io

    from ruamel.yaml.comments import CommentedMap

    from aura.params_edit import new_flow_map, round_trip_yaml

    doc = CommentedMap()
    block = doc["difficulty_adaptation"] = new_flow_map()
    block.update(learning_rate=0.002, n_steps=256)
    out = io.StringIO()
    round_trip_yaml().dump(doc, out)
    assert out.getvalue() == "difficulty_adaptation: {learning_rate: 0.002, n_steps: 256}\n"


def test_a_list_or_block_that_differs_inside_is_a_change() -> None:
    """Same length, same keys, another value inside: a change, not "has it already"."""
    base = load_params(DEFAULT)
    algorithms = base["03_rl_training"]["algorithms"]
    reordered = list(reversed(algorithms))
    assert reordered != algorithms
    _, params = derive_params(DEFAULT, [f"03_rl_training.algorithms=[{', '.join(reordered)}]"])
    assert params["03_rl_training"]["algorithms"] == reordered
    block = dict(base["03_rl_training"]["hyperparams"]["ppo"]["difficulty_adaptation"])
    block["gamma"] = 0.5 if block["gamma"] != 0.5 else 0.6
    written = ", ".join(f"{key}: {value}" for key, value in block.items())
    _, params = derive_params(DEFAULT, [f"{PPO_DIFFICULTY}={{{written}}}"])
    assert params["03_rl_training"]["hyperparams"]["ppo"]["difficulty_adaptation"] == block
