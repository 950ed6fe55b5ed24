"""Writing finished self-play games: an SGF file per game, for people and
other programs, beside one compact training shard per batch
(``nets.shards``), for the learners.  Both atomically, so a run killed at
any moment leaves whole files or none.

Layout under the run directory: ``sgf/<batch>/g<k>.sgf`` and
``shards/<kind>/<batch>.npz``, ``<batch>`` = ``it<iteration>-<worker tag>``
so that names sort in the order the batches were played (the window over
the most recent records reads them newest first).
"""

import datetime
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.sgf.write import save_sgf
from nets.shards import SHARD_SUFFIX, Shard, build_shard, value_position_mask, write_shard

from .games import PlayedGame


@dataclass
class BatchRecord:
    """What a batch of games left on disk, and its results in brief (this
    travels back from a worker instead of the games)."""
    kind: str
    shard: str
    sgf_dir: str
    games: int
    moves: int
    bytes: int
    learner_wins: int = 0        # games the network being trained won
    learner_games: int = 0
    opponent: int = -1
    resignations: int = 0
    would_resign: int = 0        # no-resign games where a resignation would have happened
    false_resignations: int = 0  # ... and the would-be resigner won
    value_positions: int = 0


def batch_name(iteration: int, tag: str) -> str:
    return f"it{iteration:06d}-{tag}"


def write_batch(played: list[PlayedGame], out: str | Path, kind: str, iteration: int,
                tag: str, labels: dict[str, str], meta: dict | None = None) -> BatchRecord:
    """Write ``played`` as SGF files and one shard; ``labels`` maps the
    specs' network keys to the names written as PB/PW (e.g. ``rl-v12``)."""
    out = Path(out)
    name = batch_name(iteration, tag)
    sgf_dir = out / "sgf" / name
    sgf_dir.mkdir(parents=True, exist_ok=True)
    shard_dir = out / "shards" / kind
    shard_dir.mkdir(parents=True, exist_ok=True)
    today = datetime.date.today().isoformat()
    total = 0
    for k, pg in enumerate(played):
        spec = pg.spec
        black = labels.get(spec.black, spec.black)
        white = labels.get(spec.white, spec.white)
        info = f"seed {spec.seed}; iteration {iteration}; {kind}; ended by {pg.end}"
        if spec.random_move_at >= 0:
            before = labels.get(spec.before or "", spec.before)
            info += (f"; {before} to move {spec.random_move_at}, that move uniformly "
                     f"random, then {black}; training position after move {pg.sample}")
        if pg.would_resign:
            info += f"; {'BW'[pg.would_resign - 1]} would have resigned (no-resign game)"
        props = {"PB": black, "PW": white, "EV": f"tengen selfplay ({kind})",
                 "GN": f"{name} game {k + 1}", "DT": today, "GC": info}
        path = sgf_dir / f"g{k + 1:03d}.sgf"
        save_sgf(pg.game, path, properties=props, result=pg.result)
        total += path.stat().st_size
    n = played[0].game.size if played else 0
    per_game: dict[str, list] = {
        "winner": [pg.winner for pg in played], "score": [pg.score for pg in played],
        "learner": [pg.spec.learner for pg in played],
        "opponent": [pg.spec.opponent for pg in played],
        "seed": [pg.spec.seed for pg in played], "resigned": [pg.resigned for pg in played],
        "no_resign": [not pg.spec.resign for pg in played],
        "would_resign": [pg.would_resign for pg in played],
        "sample": [pg.sample for pg in played]}
    own = np.stack([pg.ownership for pg in played]) if played else None
    shard = build_shard(n, played[0].game.komi if played else 0.0,
                        [pg.game.moves for pg in played], [pg.sampled for pg in played],
                        per_game, own, dict(meta or {}, kind=kind, iteration=iteration,
                                            tag=tag, labels=labels))
    shard_path = shard_dir / f"{name}{SHARD_SUFFIX}"
    size = write_shard(shard_path, shard)
    rec = record_from_shard(shard, str(shard_path), str(sgf_dir))
    rec.bytes = total + size
    return rec


def record_from_shard(shard: Shard, path: str, sgf_dir: str = "") -> BatchRecord:
    """The ``BatchRecord`` of a shard (written now, or found on disk)."""
    learner, winner = shard.learner, shard.winner
    mine = learner != 0
    would = shard.would_resign
    return BatchRecord(
        shard.meta.get("kind", ""), path, sgf_dir, len(shard), shard.moves,
        Path(path).stat().st_size if Path(path).exists() else 0,
        learner_wins=int((mine & (winner == learner)).sum()), learner_games=int(mine.sum()),
        opponent=int(shard.opponent[mine][0]) if mine.any() else -1,
        resignations=int((shard.resigned != 0).sum()), would_resign=int((would != 0).sum()),
        false_resignations=int(((would != 0) & (winner == would)).sum()),
        value_positions=int(value_position_mask(shard).sum()))
