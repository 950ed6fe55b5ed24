"""KataGo's rules, as a query names them, mapped onto tengen's.

A query's ``rules`` is one of KataGo's rule-set names (``japanese``,
``chinese``, ``tromp-taylor``, ...: KataGo's ``Rules::parseRules``, with
``-``, ``_`` and spaces alike) or a JSON object of its parts: ``ko``
(SIMPLE, POSITIONAL, SITUATIONAL), ``scoring`` or ``score`` (AREA,
TERRITORY), ``tax`` (NONE, SEKI, ALL), ``suicide``, ``hasButton``,
``whiteHandicapBonus`` ("0", "N", "N-1"), ``friendlyPassOk`` and ``komi``;
parts left out are Tromp-Taylor's, as in KataGo.

tengen's ``engine.rules.Rules`` has the ko rule, the suicide rule and the
scoring; they are taken over exactly.  White's handicap bonus is folded into
komi (``positions``).  What tengen cannot play is named in a warning and
the nearest rules are used, as KataGo does when its network lacks a rule:
a tax on every group (stone scoring) and the button are counted as plain
area scoring.  ``friendlyPassOk`` only matters in KataGo's cleanup phase,
which tengen does not have, so it changes nothing.  KataGo's ``SPIGHT`` ko
rule and the legacy compact strings (``koSIMPLEscoreAREA...``) are errors.
"""

import math
from collections.abc import Collection
from dataclasses import dataclass

from engine.rules import Rules

KO_RULES = {"SIMPLE": "simple", "POSITIONAL": "positional", "SITUATIONAL": "situational"}
SCORING_RULES = {"AREA": "area", "TERRITORY": "territory"}
TAX_RULES = ("NONE", "SEKI", "ALL")
HANDICAP_BONUS_RULES = ("0", "N", "N-1")
MAX_KOMI = 400.0                 # KataGo's Rules::MAX_USER_KOMI (and -400 the minimum)


@dataclass(frozen=True)
class KataRules:
    """One KataGo rule set: its parts as KataGo names them."""
    name: str
    ko: str = "POSITIONAL"
    scoring: str = "AREA"
    tax: str | None = None            # None: SEKI for territory scoring, NONE for area
    suicide: bool = True
    button: bool = False
    handicap_bonus: str = "0"
    komi: float | None = None         # None: KataGo's default for the scoring (``default_komi``)

    @property
    def default_komi(self) -> float:
        """KataGo's komi when a query gives none: 6.5 for territory scoring,
        7.0 with a button, 7.5 otherwise."""
        if self.komi is not None:
            return self.komi
        if self.scoring == "TERRITORY":
            return 6.5
        return 7.0 if self.button else 7.5


# KataGo's named rule sets (cpp/game/rules.cpp), keyed without separators
_NAMED = {
    "japanese": KataRules("japanese", "SIMPLE", "TERRITORY", "SEKI", False),
    "korean": KataRules("korean", "SIMPLE", "TERRITORY", "SEKI", False),
    "chinese": KataRules("chinese", "SIMPLE", "AREA", "NONE", False, handicap_bonus="N"),
    "chineseogs": KataRules("chinese-ogs", "POSITIONAL", "AREA", "NONE", False, handicap_bonus="N"),
    "chinesekgs": KataRules("chinese-kgs", "POSITIONAL", "AREA", "NONE", False, handicap_bonus="N"),
    "stonescoring": KataRules("stone-scoring", "SIMPLE", "AREA", "ALL", False),
    "ancientarea": KataRules("ancient-area", "SIMPLE", "AREA", "ALL", False),
    "ancientterritory": KataRules("ancient-territory", "SIMPLE", "TERRITORY", "ALL", False),
    "agabutton": KataRules("aga-button", "SITUATIONAL", "AREA", "NONE", False, True, "N-1"),
    "aga": KataRules("aga", "SITUATIONAL", "AREA", "NONE", False, handicap_bonus="N-1"),
    "bga": KataRules("bga", "SITUATIONAL", "AREA", "NONE", False, handicap_bonus="N-1"),
    "french": KataRules("french", "SITUATIONAL", "AREA", "NONE", False, handicap_bonus="N-1"),
    "newzealand": KataRules("new-zealand", "SITUATIONAL", "AREA", "NONE", True),
    "nz": KataRules("new-zealand", "SITUATIONAL", "AREA", "NONE", True),
    "tromptaylor": KataRules("tromp-taylor", "POSITIONAL", "AREA", "NONE", True),
    "goe": KataRules("goe", "POSITIONAL", "AREA", "NONE", True),
    "ing": KataRules("ing", "POSITIONAL", "AREA", "NONE", True),
}


class RulesError(ValueError):
    """Rules a query gives that KataGo would not parse or tengen cannot play."""


def parse_katago_rules(value: object) -> KataRules:
    """The rules a query's ``rules`` field names: a string or an object."""
    if isinstance(value, str):
        key = "".join(ch for ch in value.strip().lower() if ch not in "-_ ")
        if key in _NAMED:
            return _NAMED[key]
        raise RulesError(f"Could not parse rules: {value}")
    if isinstance(value, dict):
        return _from_object(value)
    raise RulesError('Must specify rules string, such as "chinese" or "tromp-taylor", '
                     "or a JSON object with detailed rules parameters.")


def _choice(obj: dict, key: str, allowed: Collection[str]) -> str:
    value = obj[key]
    if not isinstance(value, str) or value not in allowed:
        raise RulesError(f"rules {key} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _flag(obj: dict, key: str) -> bool:
    value = obj[key]
    if not isinstance(value, bool):
        raise RulesError(f"rules {key} must be true or false, got {value!r}")
    return value


def _from_object(obj: dict) -> KataRules:
    """A JSON rules object: Tromp-Taylor's parts where it names none."""
    parts: dict = {}
    for key in obj:
        if key == "ko":
            if obj[key] == "SPIGHT":
                raise RulesError("ko rule SPIGHT is not one tengen plays: "
                                 "SIMPLE, POSITIONAL or SITUATIONAL")
            parts["ko"] = _choice(obj, key, KO_RULES)
        elif key in ("scoring", "score"):
            parts["scoring"] = _choice(obj, key, SCORING_RULES)
        elif key == "tax":
            parts["tax"] = _choice(obj, key, TAX_RULES)
        elif key == "suicide":
            parts["suicide"] = _flag(obj, key)
        elif key == "hasButton":
            parts["button"] = _flag(obj, key)
        elif key == "whiteHandicapBonus":
            parts["handicap_bonus"] = _choice(obj, key, HANDICAP_BONUS_RULES)
        elif key == "friendlyPassOk":
            _flag(obj, key)
        elif key == "komi":
            parts["komi"] = parse_komi(obj[key])
        else:
            raise RulesError(f"Unknown rules option: {key}")
    return KataRules("custom", **parts)


def parse_komi(value: object) -> float:
    """A komi as KataGo takes it: an integer or half-integer in [-400, 400]."""
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or abs(value) > MAX_KOMI or (2 * value) % 1 != 0):
        raise RulesError("Must be a integer or half-integer from -400.0 to 400.0")
    return float(value)


def handicap_bonus_points(rules: KataRules, handicap_stones: int) -> int:
    """The points White gets for ``handicap_stones`` under ``rules``: 0, N
    or N-1 (KataGo's ``computeWhiteHandicapBonus``)."""
    if rules.handicap_bonus == "N":
        return handicap_stones
    if rules.handicap_bonus == "N-1":
        return handicap_stones - 1 if handicap_stones > 1 else 0
    return 0


def tengen_rules(rules: KataRules) -> tuple[Rules, list[str]]:
    """(tengen's rules for ``rules``, warnings naming what tengen plays
    differently)."""
    warnings = []
    tax = rules.tax or ("SEKI" if rules.scoring == "TERRITORY" else "NONE")
    if tax == "ALL":
        warnings.append(f"Rules {rules.name}: tengen has no tax on groups (stone scoring); "
                        f"counted as {rules.scoring.lower()} scoring without it")
    if rules.button:
        warnings.append(f"Rules {rules.name}: tengen has no button; counted without it")
    return (Rules(rules.name, KO_RULES[rules.ko], rules.suicide, SCORING_RULES[rules.scoring]),
            warnings)
