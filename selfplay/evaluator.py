"""The evaluator: where gates run.

On one machine (``LocalEvaluator``) a gate runs in the loop's process
between two iterations, and self-play waits for it.  With Ray
(``RayEvaluator``) it runs as a Ray task beside the self-play workers: the
loop hands it a frozen copy of the candidate and goes on playing; the
result is applied when it comes back (at the end of the iteration in which
it arrives), and a gate that falls due while another is still playing is
skipped, so that gates never queue up.  A gate's task asks Ray for no CPU
of its own (its two GTP engines take their share of the cores like any
other process), so that a private instance sized for the workers can run
it; a gate lost with its machine is reported and the run goes on.
"""

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.game_setup import GameSetup

from .config import GateConfig
from .gating import Promotion, play_match

if TYPE_CHECKING:     # annotations only: Ray is optional
    from ray import ObjectRef

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GateJob:
    """One gate: the candidate against the best, then (if promoted) the
    candidate against the start for its Elo."""
    iteration: int
    candidate: int
    candidate_file: str
    best: int
    best_file: str
    start_file: str
    setup: GameSetup
    seed: int
    sgf_dir: str
    cfg: GateConfig
    device: str = "auto"            # where the players' networks run


def run_gate(job: GateJob) -> Promotion:
    """Play the gate's matches; the Promotion to log (and apply)."""
    cfg = job.cfg
    d = play_match(job.candidate_file, job.best_file, cfg.gate_games, job.setup, cfg,
                   job.seed, f"{job.sgf_dir}/vs-best", device=job.device)
    promo = Promotion(job.iteration, job.candidate, job.best, d)
    if d.promoted:
        vs_start = d if job.best == 0 else play_match(
            job.candidate_file, job.start_file, cfg.start_games, job.setup, cfg,
            job.seed + 2, f"{job.sgf_dir}/vs-start", stop_early=False, device=job.device)
        promo.elo_vs_start, promo.share_vs_start = vs_start.elo, vs_start.share
    return promo


class LocalEvaluator:
    """Gates in this process, at once."""

    busy = False

    def __init__(self) -> None:
        self._done: list[Promotion] = []

    def submit(self, job: GateJob) -> None:
        self._done.append(run_gate(job))

    def poll(self, wait: bool = False) -> list[Promotion]:
        done, self._done = self._done, []
        return done


class RayEvaluator:
    """Gates as Ray tasks, one at a time, beside the workers."""

    def __init__(self) -> None:
        import ray

        self.ray = ray
        self._task = ray.remote(num_cpus=0, max_retries=0)(run_gate)
        self._ref: "ObjectRef[Promotion] | None" = None
        self._job: GateJob | None = None

    @property
    def busy(self) -> bool:
        return self._ref is not None

    def submit(self, job: GateJob) -> None:
        self._ref = self._task.remote(job)
        self._job = job

    def poll(self, wait: bool = False) -> list[Promotion]:
        if self._ref is None:
            return []
        ready, _ = self.ray.wait([self._ref], timeout=None if wait else 0)
        if not ready:
            return []
        ref, self._ref = self._ref, None
        try:
            return [self.ray.get(ref)]
        except self.ray.exceptions.RayError as e:
            assert self._job is not None        # submitted with the task
            log.warning("the gate of iteration %d was lost (%s); the run goes on",
                        self._job.iteration, type(e).__name__)
            return []
