"""The self-play loop: games, the RL policy's update, the pool, value
positions and gating, iteration after iteration, resumable.

One iteration (AlphaGo's RL minibatch):

1. an opponent is drawn from the pool (uniformly, from the run's seed and
   the iteration number, so a resumed run draws the same one);
2. ``games`` games of the current policy against it, the learner Black in
   half of them, and ``value_games`` value-position games (SL policy to a
   random move U, the random move, the best RL policy to the end), cut into
   batches of ``batch_games`` played by the workers, who write SGF files
   and shards;
3. one REINFORCE step on the iteration's RL shards;
4. every ``pool_every`` iterations the new version joins the pool; every
   ``gate_every`` it is gated against the best (``selfplay.evaluator``: in
   this process, or with Ray beside the workers, the result applied when it
   arrives);
5. metrics, curves, and the checkpoint.

The checkpoint (``checkpoint.pt``, written atomically after every
iteration) holds the policy, the optimiser state, the iteration, the pool,
the best version and the Elo record together, so ``kill -9`` at any moment
loses at most the iteration in progress, and of that only the batches in
flight: on ``--resume`` the shards of the interrupted iteration written by
the same network versions are taken as they are and only the missing
batches are played.
"""

import sys
import time
from collections.abc import Collection
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from nets.device import announce, resolve_device
from nets.model import build, load_model, save_model
from nets.shards import SHARD_SUFFIX, ShardError, read_shard
from tengen.base.config import from_dict, resumed
from tengen.base.files import atomic_write, atomic_write_bytes
from tengen.base.paths import MODELS_DIR, POLICY_FILE, VALUE_FILE
from tengen.base.provenance import git_commit, machine_description
from tengen.base.stopping import stop_requests

from .config import RunConfig
from .evaluator import GateJob, LocalEvaluator, RayEvaluator
from .gating import Promotion, log_gate
from .logs import Curves, disk_usage, enforce_limit, log_iteration, truncate_rows
from .pool import OpponentPool
from .records import BatchRecord, batch_name, record_from_shard
from .rl import Reinforce
from .schedule import game_seed, iteration_jobs
from .workers import Job, LocalWorkers, RayWorkers, Weights

if TYPE_CHECKING:     # annotations only: loaded when a run shows progress
    from tqdm import tqdm

VALUE_VERSION = -1        # the value network's key among the weights


class SelfPlayRun:
    """A run directory and everything the loop keeps between iterations."""

    def __init__(self, cfg: RunConfig, resume: bool = False, progress: bool = True,
                 command: str | None = None, given: Collection[str] | None = None):
        """``resume``: continue the run in ``cfg.out`` with its design; the
        fields that ``RunConfig`` marks ``resume`` come from ``cfg``, those
        taken "if given" when named in ``given`` (the options on the command
        line, ``given_options``; None: all of them)."""
        self.out = Path(cfg.out)
        self.ckpt_path = self.out / "checkpoint.pt"
        ckpt = None
        if resume:
            if not self.ckpt_path.exists():
                raise FileNotFoundError(f"no checkpoint to resume in {self.out}")
            try:
                ckpt = torch.load(self.ckpt_path, weights_only=True, map_location="cpu")
            except Exception as e:     # noqa: BLE001 - torch raises many kinds for a bad file
                raise ValueError(f"{self.ckpt_path}: not a readable checkpoint ({e})") from None
            cfg = resumed(from_dict(RunConfig, ckpt["config"]), cfg, given)
        elif self.ckpt_path.exists():
            raise FileExistsError(f"{self.out} already holds a run: pass --resume, or "
                                  "another --out")
        self.cfg = cfg
        self.progress = progress
        self.command = command or " ".join(sys.argv)
        torch.set_num_threads(cfg.threads)
        # the learner's device (and the local worker's); the one line on stderr
        self.device = announce(resolve_device(cfg.device, cfg.rl.bf16), "selfplay learner")
        self.out.mkdir(parents=True, exist_ok=True)
        start = self.out / "start"
        if ckpt is None:
            self._copy_start(start)
        self.start_policy = start / POLICY_FILE
        self.start_value = start / VALUE_FILE if (start / VALUE_FILE).exists() else None
        self.net = load_model(self.start_policy, "policy")
        value = None
        if self.start_value is not None:
            from nets.inference import Networks
            value = Networks(value_path=self.start_value, device=cfg.device)
        self.value = value
        self.learner = Reinforce(self.net, cfg.rl, value, self.device)
        self.pool = OpponentPool(self.out / "pool", cfg.pool_size)
        self.iteration = 0
        self.steps = 0                  # REINFORCE steps taken: the policy's version
        self.best = 0
        self.stats = {"games": 0, "positions": 0, "value_positions": 0, "seconds": 0.0,
                      "cpu_seconds": 0.0, "would_resign": 0, "false_resignations": 0,
                      "worker_deaths": 0}
        self.elo = {"0": 0.0}           # version -> Elo against the start, for promotions
        if ckpt is None:
            self.pool.add(self.start_policy, 0, 0)
            self._save_best_file(self.start_policy, 0)
            self.save_policy()
            self.save_checkpoint()
        else:
            self.net.load_state_dict(ckpt["policy"])
            self.learner.opt.load_state_dict(ckpt["optimizer"])
            self.pool.restore(ckpt["pool"])
            self.iteration = ckpt["iteration"]
            # checkpoints before the step count: every iteration had stepped
            self.steps = ckpt.get("steps", self.iteration)
            self.best = ckpt["best"]
            self.stats.update(ckpt["stats"])
            self.elo = dict(ckpt["elo"])
            self.save_policy()
            self._prune_best()
            for log in ("metrics.csv", "promotions.csv"):    # the redone iterations' rows
                truncate_rows(self.out / log, self.iteration)
        for f in (self.out / "candidates").glob("*.safetensors"):
            f.unlink()                     # a gate in flight at a crash is not resumed
        self.curves = Curves(self.out)
        self.evaluator: LocalEvaluator | RayEvaluator = LocalEvaluator()
        self._stop = False
        self._weights: dict[int, Weights] = {}

    # ---- files ----------------------------------------------------------
    def _copy_start(self, start: Path) -> None:
        src = Path(self.cfg.init) if self.cfg.init else MODELS_DIR
        if not (src / POLICY_FILE).is_file():
            raise FileNotFoundError(f"no {POLICY_FILE} in {src} to start from")
        start.mkdir(parents=True, exist_ok=True)
        load_model(src / POLICY_FILE, "policy")              # refuse a bad file now
        atomic_write_bytes(start / POLICY_FILE, (src / POLICY_FILE).read_bytes())
        if (src / VALUE_FILE).is_file():
            load_model(src / VALUE_FILE, "value")
            atomic_write_bytes(start / VALUE_FILE, (src / VALUE_FILE).read_bytes())

    @property
    def version(self) -> int:
        """The current policy's version: the REINFORCE steps taken (an
        iteration of value-position games only takes none, and its games
        are played by the same version)."""
        return self.steps

    @property
    def policy_file(self) -> Path:
        return self.out / POLICY_FILE

    def best_file(self, version: int | None = None) -> Path:
        v = self.best if version is None else version
        return self.out / "best" / f"policy-v{v:05d}.safetensors"

    def _save_best_file(self, src: Path, version: int) -> None:
        self.best_file(version).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.best_file(version), Path(src).read_bytes())

    def _prune_best(self) -> None:
        for f in (self.out / "best").glob("policy-v*.safetensors"):
            if f != self.best_file():
                f.unlink(missing_ok=True)
        atomic_write_bytes(self.out / "best.safetensors", self.best_file().read_bytes())

    def save_policy(self) -> None:
        net = build(self.net.cfg)
        net.load_state_dict(self.net.state_dict())
        net.cfg.provenance = {"command": self.command, "git_commit": git_commit(),
                              "machine": machine_description(), "rl_iteration": self.iteration,
                              "rl_steps": self.steps,
                              "rl_games": self.stats["games"],
                              "cpu_hours": round(self.stats["cpu_seconds"] / 3600, 3),
                              "start": str(self.cfg.init or MODELS_DIR)}
        save_model(net, self.policy_file)

    def save_checkpoint(self) -> None:
        state = {"config": asdict(self.cfg), "policy": self.net.state_dict(),
                 "optimizer": self.learner.opt.state_dict(), "iteration": self.iteration,
                 "steps": self.steps, "best": self.best, "pool": self.pool.state(), "stats": self.stats,
                 "elo": self.elo}
        with atomic_write(self.ckpt_path) as f:
            torch.save(state, f)

    # ---- one iteration --------------------------------------------------
    def jobs(self, iteration: int) -> list[Job]:
        """The batches of ``iteration`` (``selfplay.schedule``)."""
        return iteration_jobs(self.cfg, iteration, self.pool, self.version, self.best,
                              VALUE_VERSION if self.value is not None else None,
                              self.cfg.games_at_once(self.device.accelerated))

    def _weights_for(self, workers: LocalWorkers | RayWorkers, jobs: list[Job]
                     ) -> dict[int, Weights]:
        """Each version's weights, through the workers' store once each."""
        need = {v for job in jobs for v in job.versions.values()}
        need |= {job.value_version for job in jobs if job.value_version is not None}
        for v in need - set(self._weights):
            if v == VALUE_VERSION:
                assert self.start_value is not None     # asked for only with a value network
                path = self.start_value
            elif v == self.version:
                path = self.policy_file
            elif v == self.best:
                path = self.best_file()
            else:
                member = next(m for m in self.pool.members if m.version == v)
                path = self.pool.path(member)
            self._weights[v] = workers.weights(v, Path(path).read_bytes())
        self._weights = {v: w for v, w in self._weights.items() if v in need}
        return self._weights

    def _done_already(self, job: Job) -> BatchRecord | None:
        """The record of ``job`` if a shard of it, by the same versions, is
        on disk (written before a crash)."""
        path = self.out / "shards" / job.kind / f"{batch_name(job.iteration, job.tag)}" \
            f"{SHARD_SUFFIX}"
        if not path.exists():
            return None
        try:
            shard = read_shard(path, self.cfg.game.setup.size)
        except ShardError:
            return None
        if shard.meta.get("versions") != job.versions or len(shard) != len(job.specs):
            return None
        return record_from_shard(shard, str(path))

    def run_iteration(self, workers: LocalWorkers | RayWorkers, bar: "tqdm | None" = None
                      ) -> dict[str, float]:
        cfg = self.cfg
        i = self.iteration
        t0, c0 = time.time(), time.process_time()
        jobs = self.jobs(i)
        records: list[BatchRecord] = []
        todo: list[Job] = []
        for job in jobs:
            rec = self._done_already(job)
            (records.append(rec) if rec is not None else todo.append(job))
        deaths = getattr(workers, "deaths", 0)
        t_play, played_moves = time.time(), 0
        for rec in workers.run(todo, self._weights_for(workers, todo)):
            records.append(rec)
            played_moves += rec.moves
            if bar is not None:
                bar.update(rec.games)
        play_seconds = time.time() - t_play
        self.stats["worker_deaths"] += getattr(workers, "deaths", 0) - deaths
        shards = []
        for rec in records:
            if rec.kind == "rl":
                try:
                    shards.append(read_shard(rec.shard, cfg.game.setup.size))
                except ShardError as e:
                    print(f"selfplay: skipped {e}", file=sys.stderr)
        # the workers wait for the learner: it may have their cores meanwhile
        torch.set_num_threads(cfg.learner_threads or cfg.threads)
        learn = self.learner.step(shards)
        torch.set_num_threads(cfg.threads)
        if learn.get("positions"):
            self.steps += 1
        self.iteration = i + 1
        self.save_policy()
        rl = [r for r in records if r.kind == "rl"]
        wins, games = sum(r.learner_wins for r in rl), sum(r.learner_games for r in rl)
        opponent = rl[0].opponent if rl else -1
        m = {"iteration": self.iteration, "opponent": opponent,
             "win_rate": wins / games if games else float("nan"),
             "games": sum(r.games for r in records), "moves": sum(r.moves for r in records),
             "value_positions": sum(r.value_positions for r in records),
             "resignations": sum(r.resignations for r in records),
             "would_resign": sum(r.would_resign for r in records),
             "false_resignations": sum(r.false_resignations for r in records),
             **{f"rl_{k}": v for k, v in learn.items()}}
        if self.iteration % cfg.pool_every == 0 and learn.get("positions"):
            self.pool.add(self.policy_file, self.version, self.iteration)
        m.update(self.gates(bool(cfg.gate_every) and self.iteration % cfg.gate_every == 0))
        seconds, cpu = time.time() - t0, time.process_time() - c0
        m["positions_per_s"] = played_moves / play_seconds if play_seconds > 0 else 0.0
        m["iteration_seconds"] = seconds
        st = self.stats
        st["games"] += m["games"]
        st["positions"] += m["moves"]
        st["value_positions"] += m["value_positions"]
        st["seconds"] += seconds
        st["cpu_seconds"] += cpu
        st["would_resign"] += m["would_resign"]
        st["false_resignations"] += m["false_resignations"]
        self._log(m)              # before the checkpoint: a resume drops rows past it
        self.save_checkpoint()
        enforce_limit(self.out / "sgf", cfg.max_sgf_mb * 10 ** 6)
        enforce_limit(self.out / "shards" / "rl", cfg.max_rl_shard_mb * 10 ** 6)
        return m

    def _log(self, m: dict[str, float]) -> None:
        log_iteration(self.out, self.curves, m, self.stats, self.iteration)

    # ---- gating -----------------------------------------------------------
    def gates(self, due: bool, wait: bool = False) -> dict[str, float]:
        """Apply the gates that have finished; start one if ``due`` (the
        current policy, frozen as a candidate file, against the best)."""
        out: dict[str, float] = {}
        for promo in self.evaluator.poll(wait):
            out.update(self._apply_gate(promo))
        if not due or self.version == self.best:
            return out
        if self.evaluator.busy:
            print(f"selfplay: gate at iteration {self.iteration} skipped: the previous gate "
                  "is still playing", file=sys.stderr, flush=True)
            return out
        cfg = self.cfg
        candidate = self.candidate_file(self.version)
        candidate.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(candidate, self.policy_file.read_bytes())
        self.evaluator.submit(GateJob(
            iteration=self.iteration, candidate=self.version, candidate_file=str(candidate),
            best=self.best, best_file=str(self.best_file()), start_file=str(self.start_policy),
            setup=cfg.game.setup, seed=game_seed(cfg.seed, self.iteration, 2, 0),
            sgf_dir=str(self.out / "gates" / f"it{self.iteration:06d}"), cfg=cfg.gate,
            # a gate under Ray sees no GPU (its task asks for none): auto, not cuda
            device="cpu" if self.device.type == "cpu" else "auto"))
        for promo in self.evaluator.poll():
            out.update(self._apply_gate(promo))
        return out

    def candidate_file(self, version: int) -> Path:
        return self.out / "candidates" / f"policy-v{version:05d}.safetensors"

    def _apply_gate(self, promo: Promotion) -> dict[str, float]:
        d = promo.decision
        out: dict[str, float] = {"gate_share": d.share, "gate_promoted": d.promoted}
        candidate = self.candidate_file(promo.candidate)
        if d.promoted:
            # a promoted candidate has played the start (``run_gate``)
            assert promo.elo_vs_start is not None and promo.share_vs_start is not None
            self._save_best_file(candidate, promo.candidate)
            self.best = promo.candidate
            self.elo[str(promo.candidate)] = promo.elo_vs_start
            out.update(gate_elo_vs_start=promo.elo_vs_start,
                       gate_share_vs_start=promo.share_vs_start)
        log_gate(self.out / "promotions.csv", promo)
        print(f"selfplay: gate of iteration {promo.iteration}: v{promo.candidate} scored "
              f"{d.share:.1%} in {d.games} games against v{promo.best} (lower bound "
              f"{d.lower:.3f}): {'promoted' if d.promoted else 'not promoted'}"
              + (f", Elo {promo.elo_vs_start:+.0f} against the start" if d.promoted else ""),
              file=sys.stderr, flush=True)
        if d.promoted:
            self.save_checkpoint()
            self._prune_best()
        candidate.unlink(missing_ok=True)
        return out

    # ---- the loop ---------------------------------------------------------
    def _request_stop(self) -> None:
        if self._stop:
            raise KeyboardInterrupt
        self._stop = True
        print("selfplay: stopping after this iteration (again to stop now)", file=sys.stderr,
              flush=True)

    def make_workers(self) -> LocalWorkers | RayWorkers:
        cfg = self.cfg
        out = str(self.out.resolve())      # a Ray worker's working directory is not ours
        if cfg.workers == 1 and not cfg.ray_address:
            return LocalWorkers(cfg.game, out, cfg.threads,
                                cfg.games_at_once(self.device.accelerated), cfg.device)
        return RayWorkers(cfg.game, out, cfg.workers, cfg.ray_address, cfg.object_store_mb,
                          cfg.threads, cfg.device, cfg.worker_gpus)

    def run(self, workers: LocalWorkers | RayWorkers | None = None) -> dict[str, object]:
        """Iterate until a stopping rule or a signal; ``workers`` (default
        ``make_workers()``) are closed at the end."""
        cfg = self.cfg
        workers = workers or self.make_workers()
        self.evaluator = RayEvaluator() if isinstance(workers, RayWorkers) else LocalEvaluator()
        start = time.time()
        bar = None
        if self.progress:
            from tqdm import tqdm
            per_it = cfg.games + cfg.value_games
            total = cfg.max_iterations * per_it if cfg.max_iterations else None
            bar = tqdm(total=total, initial=self.iteration * per_it, unit=" games",
                       desc="selfplay", smoothing=0.1)
        last: dict[str, float] = {}
        with stop_requests(self._request_stop):
            try:
                while not self._stop:
                    if cfg.max_iterations and self.iteration >= cfg.max_iterations:
                        break
                    if cfg.max_minutes and time.time() - start >= cfg.max_minutes * 60:
                        break
                    last = self.run_iteration(workers, bar)
                    summary: dict[str, object] = {"it": self.iteration}
                    if cfg.games:       # RL games' results (a value-positions-only iteration has none)
                        summary.update(win=f"{last['win_rate']:.2f}", vs=f"v{last['opponent']}")
                    summary.update({"pos/s": f"{last['positions_per_s']:.0f}",
                                    "best": f"v{self.best}"})
                    if bar is not None:
                        bar.set_postfix(summary, refresh=True)
                    else:   # a background run's log still shows it moving
                        print("selfplay: " + "  ".join(f"{k} {v}" for k, v in summary.items())
                              + f"  ({last['games']} games, {last['iteration_seconds']:.0f} s)",
                              file=sys.stderr, flush=True)
                if not self._stop and self.evaluator.busy:
                    last.update(self.gates(False, wait=True))     # the last gate's result
                    self.save_checkpoint()
            finally:
                if bar is not None:
                    bar.close()
                workers.close()
                self.curves.close()
        return {"iteration": self.iteration, "best": self.best, **self.stats,
                "disk_mb": disk_usage(self.out), "last": last}
