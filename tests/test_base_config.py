"""``tengen.base.config``: command lines generated from dataclasses and back
(``to_argv``), configs saved and read again (``from_dict``), what a resumed
run takes from its new command line (``resumed``), and the shared checks."""

import argparse
import dataclasses
from dataclasses import dataclass

import pytest

from engine.game_setup import GameSetup
from nets.train_config import TrainConfig
from selfplay.config import GameConfig, RunConfig
from tengen.base.config import (
    ALWAYS,
    IF_GIVEN,
    add_options,
    at_least,
    from_args,
    from_dict,
    given_options,
    option,
    option_of,
    parse_config,
    resumed,
    section,
    to_argv,
)
from tengen.gtp.config import EngineConfig, InitialGame
from tengen.review.config import AnalyzeConfig


@dataclass(frozen=True)
class Inner:
    depth: int = option(3, help="how deep")
    name: str | None = option(None, help="a name")


@dataclass(frozen=True)
class Hidden:
    width: int = option(2, help="how wide")
    secret: str = option("s", help="not offered by Outer")


@dataclass(frozen=True)
class Outer:
    paths: list[str] = option(default_factory=list, positional=True, help="paths")
    count: int = option(1, resume=ALWAYS, help="how many")
    rate: float = option(0.5, resume=IF_GIVEN, help="how fast")
    loud: bool = option(False, help="say more")
    tags: list[str] | None = option(None, help="tags")
    kept: int = option(7, resume="again", help="kept unless asked")
    inner: Inner = section(Inner, "inner")
    hidden: Hidden = section(Hidden, "hidden", exclude=("secret",))

    def __post_init__(self) -> None:
        at_least(self, 1, "count")


def parser_for(cls) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_options(parser, cls)
    return parser


def round_trip(config):
    cls = type(config)
    return from_args(cls, parser_for(cls).parse_args(to_argv(config)))


def test_a_default_config_needs_no_options():
    assert to_argv(Outer()) == []
    assert to_argv(RunConfig()) == []


def test_to_argv_writes_each_changed_field_as_its_flag():
    config = Outer(paths=["a", "b"], count=3, loud=True, tags=[], inner=Inner(depth=5))
    assert to_argv(config) == ["a", "b", "--count", "3", "--loud", "--tags", "--depth", "5"]


@pytest.mark.parametrize("config", [
    Outer(paths=["x y"], count=2, rate=0.1, loud=True, tags=["p", "q"], kept=9,
          inner=Inner(depth=0, name="n"), hidden=Hidden(width=4)),
    Outer(loud=False, rate=1e-7, tags=[]),
    RunConfig(out="runs/x", workers=3, games=0, max_minutes=2.5, ray_address="auto", seed=-4,
              game=GameConfig(setup=GameSetup(size=9, komi=6.5, rules="japanese"), visits=16,
                              temperature=0.25)),
    TrainConfig(kind="policy", size=9, data=["a.zip"], val=[], width=96, arch="plain",
                global_pool=True, lr=3e-4, bf16=False),
    AnalyzeConfig(seconds=1.5, thresholds=(1.0, 2.5, 7.0), rollouts=True, progress=False),
])
def test_a_config_written_as_a_command_line_parses_back_to_itself(config):
    assert round_trip(config) == config


def test_the_gtp_players_command_line_parses_back_to_its_engine_config(tmp_path):
    policy = tmp_path / "p.safetensors"
    policy.touch()
    from nets.config import NetworkConfig
    config = EngineConfig(player="policy", setup=InitialGame(size=13, komi=0.5), seed=9,
                          policy_temperature=1.0,
                          networks=NetworkConfig(policy_model=str(policy), threads=1))
    argv = to_argv(config)
    assert "--lambda" not in argv        # a section's own normalised defaults are not restated
    assert round_trip(config) == config


def test_a_changed_field_that_is_no_option_cannot_be_written():
    @dataclass(frozen=True)
    class Code:
        visible: int = option(1, help="an option")
        internal: int = 2
    with pytest.raises(ValueError, match="internal"):
        to_argv(Code(internal=3))
    with pytest.raises(ValueError, match="secret"):
        to_argv(Outer(hidden=Hidden(secret="left off")))


def test_options_of_a_section_are_grouped_and_excluded_ones_are_absent():
    parser = parser_for(Outer)
    text = parser.format_help()
    assert "\ninner:\n  --depth DEPTH" in text and "\nhidden:\n  --width WIDTH" in text
    assert "--secret" not in text
    assert from_args(Outer, parser.parse_args(["--width", "5"])).hidden == Hidden(width=5)


def test_a_section_without_a_title_lists_its_options_with_those_around_it():
    @dataclass(frozen=True)
    class Plain:
        count: int = option(1, help="how many")
        inner: Inner = section(Inner)
    text = parser_for(Plain).format_help()
    assert "inner:" not in text
    assert text.index("--count") < text.index("--depth") < text.index("--name")
    assert round_trip(Plain(inner=Inner(depth=9))) == Plain(inner=Inner(depth=9))


def test_a_field_offered_by_another_config_keeps_its_default_and_help():
    @dataclass(frozen=True)
    class Other:
        depth: int = option_of(Inner, "depth")
        named: str | None = option_of(Inner, "name", help="another help")
    assert Other().depth == 3 and Other().named is None
    fields = {f.name: f for f in dataclasses.fields(Other)}
    assert fields["depth"].metadata["help"] == "how deep"
    assert fields["named"].metadata["help"] == "another help"


def test_from_dict_rebuilds_sections_and_reads_a_config_saved_before_a_section_existed():
    config = RunConfig(game=GameConfig(setup=GameSetup(size=9, komi=7.0), visits=0), games=8)
    assert from_dict(RunConfig, dataclasses.asdict(config)) == config
    old = dataclasses.asdict(config)
    old["game"] = {**{k: v for k, v in old["game"].items() if k != "setup"},
                   "size": 9, "komi": 7.0, "rules": "chinese"}      # before GameSetup
    assert from_dict(RunConfig, old) == config


def test_a_resumed_config_takes_only_what_its_fields_allow():
    saved = Outer(count=1, rate=0.5, loud=False, kept=7)
    command = Outer(count=4, rate=0.9, loud=True, kept=8)
    assert resumed(saved, command) == Outer(count=4)
    assert resumed(saved, command, given={"rate"}) == Outer(count=4, rate=0.9)
    assert resumed(saved, command, given=None) == Outer(count=4, rate=0.9)
    assert resumed(saved, command, when={"again"}) == Outer(count=4, kept=8)


def test_given_options_are_those_on_the_command_line():
    args = parser_for(Outer).parse_args(["--rate", "0.2", "--depth", "2"])
    assert given_options(args) == {"rate", "inner.depth"}


def test_a_check_in_post_init_is_the_command_lines_error(capsys):
    parser = parser_for(Outer)
    with pytest.raises(SystemExit) as stop:
        parse_config(parser, Outer, parser.parse_args(["--count", "0"]))
    assert stop.value.code == 2
    assert "error: --count must be at least 1" in capsys.readouterr().err
    with pytest.raises(ValueError, match="--count must be at least 1"):
        Outer(count=0)                       # the same check for a config built in code
