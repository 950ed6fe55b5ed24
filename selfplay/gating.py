"""Gating: a candidate network replaces the current best only when it wins clearly.

Why: REINFORCE's steps are noisy, and a version that lost strength would
then feed the value positions and the pool.  The candidate plays the best
in a ``tengen match``-quality match (``tengen.referee.match.Referee``: both
players are GTP engines in subprocesses, every move checked against the
rules, colours alternating, crashes and illegal moves forfeited, finished
games counted with the dead-stone estimate).  The policies sample their
moves (``--policy-temperature``), or the matches would replay two games.

The test: the candidate's score share s (wins + half the jigos, over the
games) must have a one-sided Wilson lower bound above 1/2 at the
``confidence`` level (95 %: z = 1.645).  20 games promote at 14 wins
(70 %), 40 at 26 (65 %), 100 at 59, 400 at 217 (54 %): a candidate about 63
Elo stronger (a 59 % share) passes a 100-game gate about half the time, one
no stronger at most 5 % of the time.  The match stops as soon as the
remaining games cannot change the decision.

Every promotion is logged (``promotions.csv``, TensorBoard ``gate/*``)
with its Elo against the supervised start, measured by its own match
against the start (``start_games`` games), not summed along the chain of
promotions, whose errors would add up.

``tengen gate --candidate FILE --best FILE`` runs one gate by hand.
"""

import argparse
import json
import math
import shlex
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from engine.game_setup import GameSetup
from nets.config import NetworkConfig
from nets.device import check_device
from tengen.base.config import (
    add_options,
    option,
    option_of,
    parse_config,
    require,
    section,
    to_argv,
)
from tengen.gtp.config import EngineConfig, InitialGame
from tengen.referee.elo import elo_interval
from tengen.referee.match import GameOutcome, MatchConfig, MatchResult, Referee

from .config import GateConfig
from .logs import append_row

GTP_SERVER = Path(__file__).resolve().parent.parent / "gtp_server.py"


def one_sided_z(confidence: float) -> float:
    """The normal quantile z with P(Z < z) = ``confidence``."""
    lo, hi = 0.0, 10.0
    for _ in range(80):    # bisection on the normal CDF: exact enough, no SciPy
        mid = (lo + hi) / 2
        if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < confidence:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def wilson_lower(share: float, games: int, z: float) -> float:
    """The Wilson score interval's lower end for a share seen in ``games``."""
    if games <= 0:
        return 0.0
    denom = 1 + z * z / games
    centre = share + z * z / (2 * games)
    half = z * math.sqrt(share * (1 - share) / games + z * z / (4 * games * games))
    return (centre - half) / denom


@dataclass(frozen=True)
class GateDecision:
    wins: int
    draws: int
    games: int
    share: float
    lower: float           # one-sided Wilson lower bound of the share
    promoted: bool
    elo: float
    elo_low: float
    elo_high: float


def promotion_test(wins: int, draws: int, games: int, confidence: float = 0.95) -> GateDecision:
    """Promote when the one-sided Wilson lower bound of the candidate's
    score share is above 1/2."""
    if games <= 0:
        return GateDecision(0, 0, 0, 0.0, 0.0, False, math.nan, -math.inf, math.inf)
    share = (wins + 0.5 * draws) / games
    lower = wilson_lower(share, games, one_sided_z(confidence))
    elo, lo, hi = elo_interval(wins, draws, games)
    return GateDecision(wins, draws, games, share, lower, lower > 0.5, elo, lo, hi)


def decided(wins: int, draws: int, played: int, total: int, confidence: float = 0.95) -> bool:
    """True when the games left cannot change ``promotion_test``'s answer
    after ``total`` games: a promotion that survives losing them all, or a
    rejection that winning them all would not overturn."""
    left = total - played
    worst = promotion_test(wins, draws, total, confidence).promoted
    best = promotion_test(wins + left, draws, total, confidence).promoted
    return worst == best


def engine_command(policy_file: str | Path, setup: GameSetup, temperature: float,
                   seed: int, device: str = "auto") -> str:
    """The GTP command line of a policy player (no search, one thread, its
    network on ``device``) for the referee, written from its ``EngineConfig``."""
    config = EngineConfig(player="policy", setup=InitialGame(setup.size, setup.komi, setup.rules),
                          seed=seed, policy_temperature=temperature,
                          networks=NetworkConfig(policy_model=str(policy_file), threads=1,
                                                 device=device))
    return shlex.join([sys.executable, str(GTP_SERVER), *to_argv(config)])


def play_match(a_file: str | Path, b_file: str | Path, games: int, setup: GameSetup,
               cfg: GateConfig, seed: int, sgf_dir: str | Path | None = None,
               stop_early: bool = True,
               progress: Callable[[GameOutcome, str, str], object] | None = None,
               device: str = "auto") -> GateDecision:
    """A's decision against B over up to ``games`` games, colours alternating,
    the players' networks on ``device``."""
    match = MatchConfig(engine_a=engine_command(a_file, setup, cfg.gate_temperature, seed, device),
                        engine_b=engine_command(b_file, setup, cfg.gate_temperature, seed + 1,
                                                device),
                        alternate=True, games=games, setup=setup, time_per_move=cfg.gate_time,
                        sgf_dir=None if sgf_dir is None else str(sgf_dir))
    tally = {"wins": 0, "draws": 0, "played": 0}

    def count(outcome: GameOutcome) -> None:
        tally["played"] += 1
        tally["wins"] += outcome.a_won
        tally["draws"] += outcome.winner is None

    def report(outcome: GameOutcome, black: str, white: str) -> None:
        count(outcome)
        if progress is not None:
            progress(outcome, black, white)

    def stop(_result: MatchResult) -> bool:
        return stop_early and decided(tally["wins"], tally["draws"], tally["played"], games,
                                      cfg.gate_confidence)
    Referee(match).run(progress=report, stop=stop)
    d = promotion_test(tally["wins"], tally["draws"], tally["played"], cfg.gate_confidence)
    if tally["played"] < games:
        # stopped early: the answer is the one every outcome of the games left gives
        final = promotion_test(tally["wins"], tally["draws"], games, cfg.gate_confidence)
        d = replace(d, promoted=final.promoted)
    return d


@dataclass
class Promotion:
    """One gate's outcome as logged."""
    iteration: int
    candidate: int
    best: int
    decision: GateDecision
    elo_vs_start: float | None = None
    share_vs_start: float | None = None

    def row(self) -> dict[str, object]:
        d = self.decision
        return {"iteration": self.iteration, "candidate": self.candidate, "best": self.best,
                "promoted": d.promoted, "wins": d.wins, "draws": d.draws, "games": d.games,
                "share": round(d.share, 4), "lower_bound": round(d.lower, 4),
                "elo_vs_best": _rounded(d.elo), "elo_vs_start": _rounded(self.elo_vs_start),
                "share_vs_start": _rounded(self.share_vs_start, 4)}


def _rounded(x: float | None, digits: int = 1) -> float | str:
    if x is None or math.isnan(x) or math.isinf(x):
        return "" if x is None or math.isnan(x) else ("inf" if x > 0 else "-inf")
    return round(x, digits)


def log_gate(path: str | Path, promotion: Promotion) -> None:
    """Append the gate's row to the CSV log (``promotions.csv``)."""
    append_row(path, promotion.row())


# ---- tengen gate ------------------------------------------------------------

@dataclass(frozen=True)
class GateCommand:
    """``tengen gate``: one gate by hand."""
    candidate: str = option(metavar="FILE", help="candidate policy")
    best: str = option(metavar="FILE", help="current best policy")
    setup: GameSetup = section(GameSetup)
    seed: int = option(0, help="seed of the players' sampling")
    sgf_dir: str | None = option(None, metavar="DIR", help="write the games as SGF")
    all_games: bool = option(False, help="play every game even when the decision is already "
                                         "made")
    gate: GateConfig = section(GateConfig, "gating", exclude=("start_games",))
    device: str = option_of(NetworkConfig, "device")

    def __post_init__(self) -> None:
        for f in (self.candidate, self.best):
            require(Path(f).is_file(), f"no such policy file: {f}")
        check_device(self.device)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, GateCommand)


def main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    cmd = parse_config(parser, GateCommand, args)

    def report(outcome: GameOutcome, black: str, white: str) -> None:
        print(f"game {outcome.number}: {black} (B) vs {white} (W): {outcome.result} "
              f"[{outcome.reason}]", file=sys.stderr, flush=True)
    d = play_match(cmd.candidate, cmd.best, cmd.gate.gate_games, cmd.setup, cmd.gate, cmd.seed,
                   cmd.sgf_dir, stop_early=not cmd.all_games, progress=report,
                   device=cmd.device)
    # JSON has no infinities: an Elo bound at 0 % or 100 % is written as null
    print(json.dumps({k: (v if not isinstance(v, float) or math.isfinite(v) else None)
                      for k, v in asdict(d).items()}))
    return 0 if d.games else 1
