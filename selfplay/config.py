"""How self-play games are played (``GameConfig``): move choice, passes,
resignation, the move cap and scoring.  Without Numba or PyTorch, so that
command lines are built and checked before anything heavy loads."""

import math
from dataclasses import dataclass

from engine.game_setup import GameSetup
from engine.move_choice import ResignRule, TemperatureSchedule
from nets.config import NetworkConfig
from nets.device import check_device
from tengen.base.config import ALWAYS, IF_GIVEN, at_least, option, option_of, require, section


@dataclass(frozen=True)
class GameConfig:
    """One self-play game's rules of play.  Moves come from the policy
    network sampled with ``temperature`` (AlphaGo's RL games; REINFORCE's
    gradient is exact at 1), or with ``visits`` > 0 from the search with
    that many visits, root Dirichlet noise and a temperature schedule
    (moves sampled by visit counts for the first ``temperature_moves``
    moves, then the most visited one)."""
    setup: GameSetup = section(GameSetup)
    temperature: float = option(1.0, metavar="T",
                                help="sample moves from policy^(1/T) (0: the most probable)")
    visits: int = option(0, help="search visits per move, with the value network and root "
                              "Dirichlet noise (0: the policy network alone, no search)")
    temperature_moves: int | None = option(
        None, metavar="N",
        help="with --visits: moves chosen in proportion to visits^(1/T) before the most "
             "visited move is played (default size^2/12: 30 on 19x19)")
    dirichlet_alpha: float | None = option(
        None, metavar="A", help="with --visits: root Dirichlet noise (default 10/size^2: "
                                "0.03 on 19x19, as AlphaGo Zero)")
    search_batch: int = option(8, help="with --visits: leaves per game per round (the rounds of "
                                       "all games share one network call)")
    max_moves: int | None = option(None, metavar="N",
                                   help="move cap, passes included (default 2 x size^2); "
                                        "a capped game is scored as it stands")
    min_pass_move: int | None = option(
        None, metavar="N", help="the policy may choose to pass only from this move on "
                                "(default size^2/2); before, only rule passes")
    resign_threshold: float = option(
        0.05, metavar="P", help="resign when the value network's win rate for the mover "
                                "stays below P (0: never resign)")
    resign_checks: int = option(3, help="consecutive low win rates before resigning")
    resign_check_every: int = option(4, help="moves of a game between win-rate checks")
    no_resign_share: float = option(
        0.15, metavar="S", help="share of games that never resign, where a resignation "
                                "that would have lost a won game is counted")
    score_playouts: int = option(64, help="playouts of the dead-stone estimate that scores a "
                                      "finished game and gives its final ownership map")

    def __post_init__(self) -> None:
        at_least(self, 0, "visits", "temperature_moves")
        at_least(self, 1, "search_batch", "max_moves", "resign_checks", "resign_check_every",
                 "score_playouts")
        require(math.isfinite(self.temperature) and self.temperature >= 0,
                "temperature must be at least 0")
        require(self.dirichlet_alpha is None or self.dirichlet_alpha >= 0,
                "Dirichlet alpha must be at least 0")
        self.resign_rule      # its checks live with the rule (engine.move_choice)
        require(0.0 <= self.no_resign_share <= 1.0, "no-resign share must be in [0, 1]")

    @property
    def move_cap(self) -> int:
        return self.max_moves or 2 * self.setup.size ** 2

    @property
    def first_pass_move(self) -> int:
        return self.setup.size ** 2 // 2 if self.min_pass_move is None else self.min_pass_move

    @property
    def noise_alpha(self) -> float:
        return 10.0 / self.setup.size ** 2 if self.dirichlet_alpha is None else self.dirichlet_alpha

    @property
    def sampled_moves(self) -> int:
        if self.temperature_moves is not None:
            return self.temperature_moves
        return max(1, self.setup.size ** 2 // 12)

    @property
    def schedule(self) -> TemperatureSchedule:
        """Search moves: drawn by visits^(1/T) for the first ``sampled_moves``
        moves, the most visited after."""
        return TemperatureSchedule(self.temperature, self.sampled_moves)

    @property
    def resign_rule(self) -> ResignRule:
        return ResignRule(self.resign_threshold, self.resign_checks)


BASELINES = ("zero", "mean", "value")


@dataclass(frozen=True)
class RLConfig:
    """The learner's settings (``tengen selfplay`` / ``tengen train rl``)."""
    lr: float = option(2e-5, help="learning rate of the RL policy")
    optimizer: str = option("adam", choices=("sgd", "adam"),
                            help="adam, or sgd (AlphaGo's plain SGD)")
    baseline: str = option("value", choices=BASELINES,
                           help="REINFORCE baseline: zero, mean (the iteration's mean "
                                "result) or value (the value network; mean without one)")
    chunk_positions: int = option(1024, help="positions encoded and back-propagated at a time")
    bf16: bool | None = option(None, help="bf16 autocast in the learner (default: where the "
                                          "CPU has native bf16, AVX-512 BF16 or AMX)")

    def __post_init__(self) -> None:
        require(math.isfinite(self.lr) and self.lr > 0, "learning rate must be positive")
        at_least(self, 1, "chunk_positions")


@dataclass(frozen=True)
class GateConfig:
    """How candidates are matched (``tengen selfplay`` and ``tengen gate``)."""
    gate_games: int = option(40, help="games of a candidate against the best")
    gate_confidence: float = option(0.95, help="one-sided confidence of the promotion test")
    start_games: int = option(20, help="games of a promoted version against the supervised start "
                                   "(its Elo against the start)")
    gate_temperature: float = option(1.0, metavar="T",
                                     help="the policies sample their moves from policy^(1/T)")
    gate_time: float = option(10.0, metavar="S", help="seconds allowed per move in gate matches")

    def __post_init__(self) -> None:
        at_least(self, 1, "gate_games", "start_games")
        require(0.5 < self.gate_confidence < 1, "gate confidence must be between 0.5 and 1")
        require(self.gate_temperature >= 0, "gate temperature must be at least 0")


@dataclass(frozen=True)
class RunConfig:
    """A self-play run (``tengen selfplay``, ``tengen train rl``).  What a
    resumed run takes from its new command line is marked ``resume``: the
    stopping rules and the machinery always; how many games of each kind
    an iteration plays when they are given, and which RL policy the value
    games use (e.g. ``--games 0 --value-games 256 --value-policy current``
    to go on making value positions with the finished RL policy).
    Everything else is the run's design and is kept from its checkpoint."""
    out: str = option("runs/selfplay", metavar="DIR", help="run directory")
    init: str | None = option(
        None, metavar="DIR", help="start networks: DIR/policy.safetensors and, if present, "
                                  "DIR/value.safetensors (default: the shipped tengen/models/)")
    workers: int = option(1, resume=ALWAYS,
                          help="self-play workers, one core each (1: in this process, no Ray)")
    ray_address: str | None = option(
        None, metavar="ADDR", resume=ALWAYS,
        help="join this Ray cluster ('auto': the one ray start made; default: RAY_ADDRESS, "
             "else a private local instance)")
    object_store_mb: int = option(256, resume=ALWAYS,
                                  help="object store of a private Ray instance, in MB")
    threads: int = option(1, resume=ALWAYS,
                          help="PyTorch threads of each worker and of the learner")
    learner_threads: int = option(
        0, resume=ALWAYS,
        help="PyTorch threads of the REINFORCE step, which runs while the workers wait for "
             "it, so with --workers N on one machine it may use their N cores (0: --threads)")
    games: int = option(64, resume=IF_GIVEN,
                        help="RL games per iteration: REINFORCE's minibatch (AlphaGo: 128; "
                             "0: value positions only)")
    batch_games: int = option(32, resume=IF_GIVEN,
                              help="games a worker plays at once (one network call serves "
                                   "them all), and the games of a Ray worker's job, with the "
                                   "networks on the CPU")
    gpu_batch_games: int = option(
        256, resume=IF_GIVEN,
        help="the same with the networks on a GPU, where one call takes hundreds of boards "
             "(raise --games and --value-games to fill them)")
    device: str = option_of(
        NetworkConfig, "device", resume=ALWAYS,
        help="where the workers' networks and the learner run: auto (a CUDA GPU, else "
             "Apple's MPS, else the CPU), cpu, cuda, cuda:N or mps")
    worker_gpus: float | None = option(
        None, metavar="G", resume=ALWAYS,
        help="GPUs each Ray worker asks Ray for, fractional where workers share one (default, "
             "with a CUDA device: the cluster's GPUs shared evenly, at most one each: 0.25 "
             "for four workers on one GPU)")
    value_games: int = option(16, resume=IF_GIVEN,
                              help="value-position games per iteration (one position each)")
    value_policy: str = option(
        "best", choices=("best", "current"), resume=IF_GIVEN,
        help="the RL policy of the value-position games after the random move: the gated "
             "best, or the current policy (e.g. with --games 0 after an ungated RL run)")
    pool_every: int = option(10, help="iterations between new members of the opponent pool")
    pool_size: int = option(50, help="most members kept in the pool, the start included (0: all)")
    gate_every: int = option(20, resume=IF_GIVEN,
                             help="iterations between gates of the current policy against "
                                  "the best (0: no gating)")
    max_iterations: int = option(0, resume=ALWAYS,
                                 help="stop after this many iterations in all (0: no limit)")
    max_minutes: float = option(0.0, resume=ALWAYS,
                                help="stop after this much wall time in this process "
                                     "(0: no limit)")
    max_sgf_mb: int = option(2000, resume=ALWAYS,
                             help="disk kept for SGF files; the oldest go first (0: no limit)")
    max_rl_shard_mb: int = option(2000, resume=ALWAYS,
                                  help="disk kept for RL shards; the oldest go first "
                                       "(0: no limit; value shards are always kept)")
    seed: int = option(0, help="seed of the games, the opponent draws and the resign choices")
    game: GameConfig = section(GameConfig, "games")
    rl: RLConfig = section(RLConfig, "learner (REINFORCE)")
    gate: GateConfig = section(GateConfig, "gating")

    def __post_init__(self) -> None:
        at_least(self, 1, "workers", "object_store_mb", "threads", "batch_games",
                 "gpu_batch_games", "pool_every")
        check_device(self.device)
        require(self.worker_gpus is None or 0 <= self.worker_gpus,
                "worker GPUs must be at least 0")
        at_least(self, 0, "learner_threads", "games", "value_games", "pool_size", "gate_every",
                 "max_iterations", "max_sgf_mb", "max_rl_shard_mb")
        require(self.max_minutes >= 0, "max minutes must be at least 0")
        require(self.pool_size != 1, "a pool of one holds only the start: use 0 or 2 and more")
        require(self.game.visits == 0 or self.games == 0,
                "REINFORCE learns from moves sampled from the policy itself: with --visits "
                "(search moves) pass --games 0 and play value-position games only")

    def games_at_once(self, accelerated: bool) -> int:
        """Games a worker plays at once, and the games of a job:
        ``gpu_batch_games`` with the networks on a GPU, else ``batch_games``."""
        return self.gpu_batch_games if accelerated else self.batch_games
