"""What one iteration plays: its games, who plays them, their seeds, and
how they are cut into workers' jobs.

Everything is a function of the run's seed, the iteration number and the
pool, so that a resumed run plays the same games again (and can recognise
the batches a crash left finished on disk): the opponent is drawn from
``[seed, iteration]``, a game's seed from its place, the learner plays
Black in the even games and White in the odd ones, and which games may not
resign is drawn from the same generator.
"""

import numpy as np

from engine.board import BLACK, WHITE

from .config import RunConfig
from .games import GameSpec
from .pool import OpponentPool
from .value_positions import value_specs
from .workers import Job


def game_seed(seed: int, iteration: int, kind: int, k: int) -> int:
    """A game's seed, a function of the run's seed and its place only."""
    return int(np.random.SeedSequence([seed, iteration, kind, k]).generate_state(1)[0])


def _cut(kind: str, prefix: str, iteration: int, specs: list[GameSpec], size: int,
         versions: dict, labels: dict, value_version: int | None) -> list[Job]:
    return [Job(kind, iteration, f"{prefix}{j:03d}", specs[a:a + size], versions, labels,
                value_version)
            for j, a in enumerate(range(0, len(specs), size))]


def iteration_jobs(cfg: RunConfig, iteration: int, pool: OpponentPool, version: int,
                   best: int, value_version: int | None,
                   games_per_job: int | None = None) -> list[Job]:
    """The jobs of ``iteration``: ``cfg.games`` games of the current policy
    (``version``) against an opponent drawn from ``pool``, then
    ``cfg.value_games`` value-position games (SL start to U, after it the
    best RL policy or, with ``cfg.value_policy == "current"``, ``version``),
    ``games_per_job`` games a job (default ``cfg.batch_games``)."""
    size = games_per_job or cfg.batch_games
    rng = np.random.default_rng([cfg.seed, iteration])
    opponent = pool.sample(rng)
    specs = []
    for k in range(cfg.games):
        learner = BLACK if k % 2 == 0 else WHITE
        resign = rng.random() >= cfg.game.no_resign_share
        black, white = ("learner", "opponent") if learner == BLACK else ("opponent", "learner")
        specs.append(GameSpec(game_seed(cfg.seed, iteration, 0, k), black, white, resign,
                              learner, opponent.version))
    jobs = _cut("rl", "rl", iteration, specs, size,
                {"learner": version, "opponent": opponent.version},
                {"learner": f"rl-v{version}", "opponent": f"pool-v{opponent.version}"},
                value_version)
    vspecs = value_specs(cfg.value_games, rng, cfg.game.setup.size, "sl", "rl",
                         game_seed(cfg.seed, iteration, 1, 0))
    rl = version if cfg.value_policy == "current" else best
    jobs += _cut("value", "val", iteration, vspecs, size, {"sl": 0, "rl": rl},
                 {"sl": "sl-v0", "rl": f"rl-v{rl}"}, value_version)
    return jobs
