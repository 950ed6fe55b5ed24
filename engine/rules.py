"""Rule sets: how ko, suicide and scoring work, by name.

Pure Python without Numba, so that the GTP front end can check ``--rules``
on its command line before it loads the engine.
"""

from dataclasses import dataclass

KO_RULES = ("simple", "positional", "situational")
SCORING = ("area", "territory")


@dataclass(frozen=True)
class Rules:
    """A rule set.  ``ko``: "positional" superko (Chinese, AGA, Tromp-Taylor),
    "situational" superko (New Zealand) or "simple" ko only (Japanese,
    Korean, GNU Go).  ``suicide``: multi-stone suicide is legal (Tromp-Taylor,
    New Zealand); a lone stone may never remove itself, which would only
    repeat the position.  ``scoring``: "area" or "territory"."""
    name: str = "chinese"
    ko: str = "positional"
    suicide: bool = False
    scoring: str = "area"

    def __post_init__(self) -> None:
        if self.ko not in KO_RULES:
            raise ValueError(f"unknown ko rule {self.ko!r}")
        if self.scoring not in SCORING:
            raise ValueError(f"unknown scoring {self.scoring!r}")


RULE_SETS = {
    "chinese": Rules("chinese", "positional", False, "area"),
    "aga": Rules("aga", "situational", False, "area"),
    "tromp-taylor": Rules("tromp-taylor", "positional", True, "area"),
    "new-zealand": Rules("new-zealand", "situational", True, "area"),
    "japanese": Rules("japanese", "simple", False, "territory"),
    "korean": Rules("korean", "simple", False, "territory"),
}


def rules_named(name: str) -> Rules:
    """Look a rule set up by name (``_`` and ``-`` alike, any case)."""
    key = name.strip().lower().replace("_", "-")
    key = {"tt": "tromp-taylor", "nz": "new-zealand"}.get(key, key)
    if key not in RULE_SETS:
        raise ValueError(f"unknown rule set {name!r}; known: {', '.join(RULE_SETS)}")
    return RULE_SETS[key]
