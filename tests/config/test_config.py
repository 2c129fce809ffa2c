"""agentrl.config: YAML + dotted overrides into frozen pydantic configs, errors that name keys."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Literal

import pydantic
import pytest
from pydantic import Field

from agentrl.config import (
    Config,
    apply_overrides,
    dump_config,
    load_config,
    parse_override,
    print_config,
    to_yaml,
)
from agentrl.errors import ConfigError


class OptimConfig(Config):
    lr: float = Field(1e-5, gt=0, description="Peak learning rate.")
    betas: tuple[float, float] = (0.9, 0.999)
    schedule: Literal["constant", "cosine", "linear"] = "constant"


class Sched(Config):
    warmup: int = Field(0, ge=0)


class RunConfig(Config):
    name: str = Field("run", description="A label.\nSecond line.")
    seed: int = 0
    optim: OptimConfig = OptimConfig()
    extra: Sched | None = None
    buckets: list[int] = Field(default_factory=lambda: [64, 128])
    tags: dict[str, str] = Field(default_factory=dict)
    out: Path | None = None


def test_defaults_and_frozen():
    cfg = load_config(RunConfig)
    assert cfg == RunConfig()
    with pytest.raises(Exception, match="frozen"):
        cfg.seed = 3  # type: ignore[misc]


def test_yaml_file_then_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("seed: 3\noptim:\n  lr: 0.001\n  schedule: cosine\n")
    cfg = load_config(RunConfig, path, ["optim.lr=1e-6", "buckets=[32, 64, 256]"])
    assert cfg.seed == 3
    assert cfg.optim.lr == 1e-6
    assert cfg.optim.schedule == "cosine"
    assert cfg.buckets == [32, 64, 256]


def test_base_preset_is_lowest_layer(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("optim: {schedule: linear}\n")
    base = {"seed": 7, "optim": {"lr": 0.5, "schedule": "cosine"}}
    cfg = load_config(RunConfig, path, ["seed=8"], base=base)
    assert (cfg.seed, cfg.optim.lr, cfg.optim.schedule) == (8, 0.5, "linear")
    assert base["optim"]["schedule"] == "cosine"  # the preset is not mutated


def test_str_field_keeps_text_verbatim():
    cfg = load_config(RunConfig, None, ["name=yes", "tags.kind=123"])
    assert cfg.name == "yes"
    assert cfg.tags == {"kind": "123"}


def test_path_field_keeps_text_verbatim():
    assert load_config(RunConfig, None, ["out=2024"]).out == Path("2024")
    assert load_config(RunConfig, None, ["out=null"]).out is None


def test_dict_field_accepts_new_keys():
    cfg = load_config(RunConfig, None, ["tags.kind=math"])
    assert cfg.tags == {"kind": "math"}


def test_optional_nested_model_via_dotted_path():
    cfg = load_config(RunConfig, None, ["extra.warmup=10"])
    assert cfg.extra == Sched(warmup=10)
    assert load_config(RunConfig, None, ["extra=null"]).extra is None


def test_unknown_override_key_names_it_with_suggestion():
    with pytest.raises(ConfigError, match=r"optim\.lrr.*Did you mean `lr`"):
        load_config(RunConfig, None, ["optim.lrr=1"])
    with pytest.raises(ConfigError, match=r"`optimm`.*Did you mean `optim`"):
        load_config(RunConfig, None, ["optimm.lr=1"])


def test_unknown_yaml_key_names_it(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("optim:\n  shedule: cosine\n")
    with pytest.raises(ConfigError, match=r"optim\.shedule.*Did you mean `schedule`") as e:
        load_config(RunConfig, path)
    assert str(path) in str(e.value)


def test_bad_value_names_key_value_and_allowed():
    with pytest.raises(ConfigError, match=r"optim\.schedule='cosin'.*'constant', 'cosine'"):
        load_config(RunConfig, None, ["optim.schedule=cosin"])
    with pytest.raises(ConfigError, match=r"optim\.lr=-1.*greater than 0"):
        load_config(RunConfig, None, ["optim.lr=-1"])
    with pytest.raises(ConfigError, match=r"seed='abc'"):
        load_config(RunConfig, None, ["seed=abc"])


def test_several_errors_are_all_listed(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("seed: x\noptim: {lr: 0}\n")
    with pytest.raises(ConfigError) as e:
        load_config(RunConfig, path)
    assert "seed='x'" in str(e.value) and "optim.lr=0" in str(e.value)


@pytest.mark.parametrize("bad", ["seed", "=3", "a..b=1", ".a=1"])
def test_malformed_override(bad):
    with pytest.raises(ConfigError, match=r"key\.subkey=value"):
        parse_override(bad)


def test_override_below_a_scalar_is_an_error():
    with pytest.raises(ConfigError, match=r"unknown key `seed\.x`.*`seed` has type int"):
        load_config(RunConfig, None, ["seed.x=1"])
    with pytest.raises(ConfigError, match=r"`tags\.a` has type str, so no sub-keys"):
        load_config(RunConfig, None, ["tags.a.c=1"])


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(RunConfig, tmp_path / "missing.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="must hold a mapping, got list"):
        load_config(RunConfig, tmp_path / "list.yaml")
    (tmp_path / "bad.yaml").write_text("a: [1,\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(RunConfig, tmp_path / "bad.yaml")


@pytest.mark.parametrize("comments", [False, True])
def test_yaml_round_trip(tmp_path, comments):
    cfg = load_config(
        RunConfig,
        None,
        ["optim.lr=3.5e-7", "optim.schedule=linear", "extra.warmup=4", "tags.k=v", "name=on"],
    )
    path = tmp_path / "c.yaml"
    path.write_text(to_yaml(cfg, comments=comments))
    assert load_config(RunConfig, path) == cfg


def test_dump_and_print_show_descriptions(tmp_path):
    cfg = RunConfig()
    path = dump_config(cfg, tmp_path / "sub" / "config.yaml")
    text = path.read_text()
    assert "# Peak learning rate." in text and "# Second line." in text
    buf = io.StringIO()
    print_config(cfg, file=buf)
    assert buf.getvalue() == text


def test_apply_overrides_to_existing_config():
    cfg = apply_overrides(RunConfig(seed=1), ["optim.betas=[0.8, 0.9]"])
    assert cfg.seed == 1 and cfg.optim.betas == (0.8, 0.9)


def test_command_line_helpers(tmp_path):
    import argparse

    from agentrl.config import add_config_args, config_from_args

    path = tmp_path / "c.yaml"
    path.write_text("seed: 5\nname: file\n")
    parser = argparse.ArgumentParser()
    add_config_args(parser)
    args = parser.parse_args(
        ["--config", str(path), "--set", "optim.lr=0.5", "--set", "name=cli", "--print-config"]
    )
    assert args.print_config
    cfg = config_from_args(RunConfig, args, base={"seed": 1}, extra_overrides=["name=flag"])
    assert (cfg.seed, cfg.optim.lr, cfg.name) == (5, 0.5, "cli")
    assert config_from_args(RunConfig, parser.parse_args([])) == RunConfig()


class Checked(Config):
    low: int = 0
    high: int = 1
    width: int = 1

    @pydantic.field_validator("width")
    @classmethod
    def _width(cls, v: int) -> int:
        if v > 3:
            raise ValueError("need <= 3")
        return v

    @pydantic.model_validator(mode="after")
    def _order(self) -> Checked:
        if self.low > self.high:
            raise ValueError(f"got low={self.low} > high={self.high}, need low <= high")
        return self


class Outer(Config):
    checked: Checked = Checked()


def test_own_validators_keep_their_words():
    with pytest.raises(ConfigError, match=r"got checked\.width=5, need <= 3$"):
        load_config(Outer, None, ["checked.width=5"])
    with pytest.raises(ConfigError, match=r"in `checked`: got low=4 > high=1, need low <= high$"):
        load_config(Outer, None, ["checked.low=4"])
