"""``tengen bench rollout``: speed of the rollout policy on 19x19.

Start positions are mid-game boards from the validation archive (the
position after move ``--move`` of each of the first games that long), the
kind of leaf the search hands to rollouts.  Each is played out to the end
by the rollout policy on one core, JIT compilation excluded; CPU time of
the process is the headline (the machine is shared).  ``us_per_step`` is
the time per move chosen and played, everything included (copying the
start position, computing every point's weights once per rollout, the
final area count); uniform random playouts (``engine.playouts.playouts``) from
the same positions are timed alongside for scale.
"""

import pathlib
import statistics
from dataclasses import dataclass

import numba
import numpy as np

from engine.corpus import load_corpus
from engine.playouts import playouts
from nets.rollout.model import RolloutFileError, load_model
from nets.rollout.policy import RolloutPolicy, rollouts
from tengen.base.config import option

from .features import archive_option
from .timing import timed_rounds


@dataclass(frozen=True)
class Config:
    model: str | None = option(None, help="rollout model (default tengen/models/rollout.npz)")
    archive: pathlib.Path = archive_option()
    positions: int = option(100, help="start positions")
    move: int = option(100, help="start after this many moves of each game")
    seconds: float = option(5.0, help="measuring time")

def midgame_positions(archive: pathlib.Path, count: int, move: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(states, winner of each game: BLACK, WHITE or 0) after ``move``
    moves of the first ``count`` games of ``archive`` that are that long."""
    if not archive.is_file():
        raise SystemExit(f"no game archive at {archive}")
    corpus = load_corpus([archive], 19, max_games=4 * count)
    pick = np.zeros(corpus.moves, bool)
    long_enough = np.nonzero(np.diff(corpus.offsets) > move)[0][:count]
    pick[corpus.offsets[long_enough] + move] = True
    states = corpus.states_before(pick)     # every game of a corpus replays legally
    games = long_enough
    if len(states) == 0:
        raise SystemExit(f"no game in {archive} is longer than {move} moves")
    return states, corpus.winner[games]


def run(args: Config) -> dict:
    numba.set_num_threads(1)
    try:
        policy = RolloutPolicy(load_model(args.model))
    except RolloutFileError as e:
        raise SystemExit(str(e)) from None
    states, _ = midgame_positions(args.archive, args.positions, args.move)
    b = len(states)
    out = np.empty(b)
    seed = iter(range(1, 1 << 30))

    def policy_round() -> tuple[int, float]:
        moves, _ = rollouts(states, 6.5, next(seed), policy.off, policy.ew_pat, policy.ewv, out)
        return moves, float(out.mean())

    def random_round() -> int:
        moves = 0
        for i in range(b):
            moves += playouts(states[i], 1, next(seed))[1]
        return moves

    policy_round()      # compile (or load from the cache)
    random_round()
    rounds = timed_rounds(policy_round, args.seconds, 3)
    cpu = [r[0] / r[2][0] for r in rounds]
    wall = [r[1] / r[2][0] for r in rounds]
    moves = sum(r[2][0] for r in rounds)
    per_rollout = moves / (b * len(rounds))
    rand = timed_rounds(random_round, args.seconds / 3, 3)
    rand_us = statistics.median(r[0] / r[2] for r in rand) * 1e6
    rand_moves = sum(r[2] for r in rand) / (b * len(rand))
    us = statistics.median(cpu) * 1e6
    return {
        "us_per_step": round(us, 2),
        "us_per_step_best": round(min(cpu) * 1e6, 2),
        "us_per_step_wall": round(statistics.median(wall) * 1e6, 2),
        "rollouts_per_s": round(1e6 / (us * per_rollout), 1),
        "moves_per_rollout": round(per_rollout, 1),
        "black_score_mean": round(statistics.mean(r[2][1] for r in rounds), 3),
        "random_playout_us_per_step": round(rand_us, 3),
        "random_moves_per_playout": round(rand_moves, 1),
        "positions": b,
        "start_move": args.move,
    }
