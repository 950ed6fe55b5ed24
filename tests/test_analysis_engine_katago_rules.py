"""KataGo's rule names and rule objects mapped onto tengen's rules, or a
clear error."""

import pytest

from tengen.analysis_engine.katago_rules import (
    RulesError,
    handicap_bonus_points,
    parse_katago_rules,
    parse_komi,
    tengen_rules,
)


@pytest.mark.parametrize("name, ko, suicide, scoring", [
    ("japanese", "simple", False, "territory"),
    ("korean", "simple", False, "territory"),
    ("chinese", "simple", False, "area"),          # KataGo's chinese: simple ko
    ("chinese-ogs", "positional", False, "area"),
    ("aga", "situational", False, "area"),
    ("new-zealand", "situational", True, "area"),
    ("tromp-taylor", "positional", True, "area"),
])
def test_named_rule_sets_keep_katagos_ko_suicide_and_scoring(name, ko, suicide, scoring):
    rules, warnings = tengen_rules(parse_katago_rules(name))
    assert (rules.ko, rules.suicide, rules.scoring) == (ko, suicide, scoring)
    assert warnings == []


def test_names_are_read_in_any_case_with_any_separator():
    for spelling in ("Tromp-Taylor", "tromp_taylor", "tromp taylor", "TrompTaylor"):
        assert parse_katago_rules(spelling).name == "tromp-taylor"
    assert parse_katago_rules("NZ").name == "new-zealand"


def test_a_rules_object_starts_from_tromp_taylor():
    r = parse_katago_rules({"ko": "SITUATIONAL", "scoring": "TERRITORY", "suicide": False})
    rules, _ = tengen_rules(r)
    assert (rules.ko, rules.suicide, rules.scoring) == ("situational", False, "territory")
    plain, _ = tengen_rules(parse_katago_rules({}))
    assert (plain.ko, plain.suicide, plain.scoring) == ("positional", True, "area")
    assert parse_katago_rules({"score": "AREA", "komi": 6}).default_komi == 6.0


def test_what_tengen_cannot_play_is_named_in_a_warning():
    _, warnings = tengen_rules(parse_katago_rules("stone-scoring"))
    assert len(warnings) == 1 and "tax on groups" in warnings[0]
    _, warnings = tengen_rules(parse_katago_rules("aga-button"))
    assert len(warnings) == 1 and "button" in warnings[0]


@pytest.mark.parametrize("value, words", [
    ("go", "Could not parse rules: go"),
    ("koSIMPLEscoreAREA", "Could not parse rules"),
    ({"ko": "SPIGHT"}, "SPIGHT is not one tengen plays"),
    ({"ko": "simple"}, "ko must be one of"),
    ({"suicide": "yes"}, "suicide must be true or false"),
    ({"whiteHandicapBonus": "2"}, "whiteHandicapBonus must be one of"),
    ({"komi": 7.3}, "half-integer"),
    ({"colour": "B"}, "Unknown rules option: colour"),
    (["chinese"], "Must specify rules string"),
])
def test_rules_katago_would_refuse_or_tengen_cannot_play_are_errors(value, words):
    with pytest.raises(RulesError, match=words):
        parse_katago_rules(value)


def test_white_gets_n_or_n_minus_1_points_for_n_handicap_stones():
    assert handicap_bonus_points(parse_katago_rules("chinese"), 4) == 4
    assert handicap_bonus_points(parse_katago_rules("aga"), 4) == 3
    assert handicap_bonus_points(parse_katago_rules("aga"), 1) == 0
    assert handicap_bonus_points(parse_katago_rules("japanese"), 4) == 0


def test_komi_is_an_integer_or_half_integer():
    assert parse_komi(-7) == -7.0 and parse_komi(0.5) == 0.5
    for bad in (0.25, 400.5, float("nan"), None, False):
        with pytest.raises(RulesError):
            parse_komi(bad)
