"""The review of one game as data, and its JSON form (a stable schema).

One JSON object per game, written as ``NAME.json``::

    {"schema": "tengen-analysis", "version": 2,
     "name": ..., "source": ..., "fingerprint": ...,   # what was reviewed
     "game": {"size", "komi", "rules", "handicap", "result", "black", "white",
              "date", "first_to_move": "B"|"W", "setup": {"B": [...], "W": [...]}},
     "settings": {"visits", "seconds", "rollouts", "class_by", "thresholds",
                  "tengen", "models"},
     "positions": [{"number", "to_move", "winrate_black", "score_black", "visits"}, ...],
     "moves": [{"number", "color", "move", "winrate_before", "winrate_after",
                "winrate_loss", "score_before", "score_after", "score_loss",
                "best_move", "best_pv", "played_visits", "visits",
                "policy_prior", "policy_rank", "phase", "class", "refutation", "stake",
                "recheck_visits",
                "candidates": [{"move", "visits", "winrate", "prior", "pv"}, ...]}, ...],
     "players": {"B": {summary}, "W": {summary}},
     "elapsed_s": ...}

Conventions: vertices are GTP (``D4``, ``pass``); win rates are fractions
in [0, 1] and scores are points, both from the mover's side in ``moves``
(``_before``: the position before the move, by the search's best move;
``_after``: after the move played: its win rate in that same search where
the search read it, else the next position's, ``tengen.review.reviewer``;
the score after is the next position's) and from Black's side in ``positions``
(position ``k`` is the board after ``k`` moves; ``positions[0]`` the
start).  A loss is ``before - after`` (negative when the move did better
than the search expected).  ``score_*`` are null without a value network.
``policy_rank`` is 1 for the policy network's favourite, null when the move
was not among the root's moves.  ``best_pv`` is the better move's line (the
better move first); ``refutation`` the opponent's best line after the move
played (the next position's principal variation).  A summary is ``mistakes.player_summary``.

``stake`` (``tengen.review.stakes``) is null or
``"stake": {"points", "around", "why", "changes": {vertex: change, ...}}``,
for every move that is not the search's best: what the move gives up
against the better move after each side's line (the first moves of
``best_pv`` against the move played then the first of ``refutation``,
as many moves each: ``tengen.review.stakes.STAKE_PLIES``).  ``points``: the score difference of the
two lines' ends (positive: the mover loses that many); ``changes``: the
points whose ownership moves by at least half a point (of two; positive:
the mover owns more of it after the better line); ``around``: the point of
the biggest change in the biggest connected area of changes that agrees in
sign with ``points``; ``why``: what changes hands there, in words
("White's corner group dies"); both null when nothing changes that much.

``recheck_visits`` (null unless ``--recheck`` chose the move): the moves
``tengen analyze --recheck N`` searched again, each of the better move and
the move played alone with that many visits; ``winrate_before`` and
``winrate_after`` are then those two searches'.

Version 2: scores and win rates calibrated (``nets.score``), ``stake``
added.  Fields may be added in a later version of the same number; a
change of meaning or a removal bumps ``version``.
"""

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

SCHEMA = "tengen-analysis"
SCHEMA_VERSION = 2
# bumped when the same search gives other figures (a review made before is
# then searched again rather than resumed with stale numbers)
REVIEW_METHOD = 4


@dataclass
class Candidate:
    move: str
    visits: int
    winrate: float
    prior: float
    pv: list[str]


@dataclass
class Stake:
    points: float               # the mover's loss in points (module docstring)
    around: str | None
    why: str | None
    changes: dict[str, float] = field(default_factory=dict)


@dataclass
class Position:
    number: int                 # moves played before it
    to_move: str                # "B" / "W": the side the search looked at
    winrate_black: float
    score_black: float | None
    visits: int


@dataclass
class MoveReview:
    number: int                 # 1-based
    color: str                  # "B" / "W"
    move: str
    winrate_before: float
    winrate_after: float
    score_before: float | None
    score_after: float | None
    best_move: str
    best_pv: list[str]
    played_visits: int
    visits: int
    policy_prior: float | None
    policy_rank: int | None
    phase: str
    candidates: list[Candidate] = field(default_factory=list)
    refutation: list[str] = field(default_factory=list)
    klass: str = "good"
    stake: Stake | None = None
    recheck_visits: int | None = None     # the second pass's (reviewer._recheck), else null

    @property
    def winrate_loss(self) -> float:
        return self.winrate_before - self.winrate_after

    @property
    def score_loss(self) -> float | None:
        if self.score_before is None or self.score_after is None:
            return None
        return self.score_before - self.score_after

    @property
    def is_best(self) -> bool:
        return self.move == self.best_move

    def in_top(self, k: int) -> bool:
        return self.move in [c.move for c in self.candidates[:k] if c.visits > 0]


@dataclass
class GameReview:
    name: str
    source: str
    fingerprint: str
    game: dict[str, Any]
    settings: dict[str, Any]
    positions: list[Position]
    moves: list[MoveReview]
    players: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def size(self) -> int:
        return int(self.game["size"])


def _move_dict(m: MoveReview) -> dict[str, Any]:
    d = dataclasses.asdict(m)
    d["class"] = d.pop("klass")
    d["winrate_loss"] = m.winrate_loss
    d["score_loss"] = m.score_loss
    return d


def to_dict(review: GameReview) -> dict[str, Any]:
    """The JSON object of ``review`` (module docstring)."""
    return {
        "schema": SCHEMA, "version": SCHEMA_VERSION,
        "name": review.name, "source": review.source, "fingerprint": review.fingerprint,
        "game": review.game, "settings": review.settings,
        "positions": [dataclasses.asdict(p) for p in review.positions],
        "moves": [_move_dict(m) for m in review.moves],
        "players": review.players, "elapsed_s": round(review.elapsed_s, 3),
    }


def to_json(review: GameReview) -> str:
    return json.dumps(to_dict(review), indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def from_dict(data: dict[str, Any]) -> GameReview:
    """A GameReview from its JSON object; ValueError for another schema or
    version (an old review is then searched again, not misread)."""
    if data.get("schema") != SCHEMA or data.get("version") != SCHEMA_VERSION:
        raise ValueError(f"not a {SCHEMA} version {SCHEMA_VERSION} review")
    moves = []
    for d in data["moves"]:
        d = dict(d)
        d["klass"] = d.pop("class", "good")
        d.pop("winrate_loss", None)
        d.pop("score_loss", None)
        d["candidates"] = [Candidate(**c) for c in d.get("candidates", [])]
        d["stake"] = Stake(**d["stake"]) if d.get("stake") is not None else None
        moves.append(MoveReview(**d))
    return GameReview(name=data["name"], source=data["source"], fingerprint=data["fingerprint"],
                      game=data["game"], settings=data["settings"],
                      positions=[Position(**p) for p in data["positions"]], moves=moves,
                      players=data.get("players", {}), elapsed_s=data.get("elapsed_s", 0.0))
