"""Self-play workers: in this process (``LocalWorkers``), or as Ray actors
(``RayWorkers``), one per core, on this machine or across a cluster.

Why Ray: it starts actors on every machine of a cluster with one call and
moves large objects through its shared-memory object store.  What travels:

* weights, as the bytes of a model file, put into the object store once
  per network version (``RayWorkers.weights``); a job names the versions it needs
  by object reference and a worker fetches each version once and keeps it;
* game records do *not* travel: each worker writes its SGF files and its
  shard into the run directory itself (a shared file system on a cluster)
  and sends back a ``BatchRecord`` of a few hundred bytes, so no single
  actor carries every game.

A worker that dies (killed, out of memory, its machine lost) loses the
batch of games it had in flight: it wrote nothing for it, and every file it
did write was written atomically and is whole.  The driver says so, starts
a replacement and plays that batch once more on it; a batch that kills two
workers is given up.

With the networks on CUDA each actor asks Ray for its share of the GPUs
(``gpus_per_worker``), and plays ``--gpu-batch-games`` games at once, one
network call for all of them.

Local by default: ``ray.init(address="local")`` starts a private instance
with as many CPUs as workers, no dashboard, a bounded object store, on the
loopback address, even when a cluster that ``ray start`` made runs on this
machine (without ``"local"``, Ray joins that cluster, or fails when it is
gone, through the address it keeps in ``/tmp/ray/ray_current_cluster``).
``--ray-address auto`` (or the ``RAY_ADDRESS`` variable) joins a cluster
started with ``ray start``; where a Ray authentication token is at hand and
``RAY_AUTH_MODE`` is unset, the driver sends it (``ray_token_mode``), as
clusters that ``ray start`` made with a token require.
"""

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from tengen.base.files import atomic_write_bytes

from .config import GameConfig
from .games import GameRunner, GameSpec, warm_up
from .records import BatchRecord, write_batch

if TYPE_CHECKING:     # annotations only: PyTorch loads in the worker, Ray is optional
    from ray import ObjectRef

    from nets.inference import Networks

# a version's model file: its bytes, or a Ray reference to them (put once, shared)
Weights: TypeAlias = "bytes | ObjectRef[bytes]"

log = logging.getLogger(__name__)


@dataclass
class Job:
    """One batch of games for one worker: the specs, where they go, and
    which network version each key of the specs names."""
    kind: str                          # "rl" or "value"
    iteration: int
    tag: str
    specs: list[GameSpec]
    versions: dict[str, int]           # spec key -> policy version (value networks: < 0)
    labels: dict[str, str]             # spec key -> PB/PW name
    value_version: int | None = None   # the value network judging resignations
    meta: dict = field(default_factory=dict)


class GameWorker:
    """Plays jobs and writes their records; the same class runs in-process
    and inside a Ray actor.  Compiled code is loaded (from Numba's cache)
    and warmed once, when the worker starts, not per game."""

    def __init__(self, cfg: GameConfig, out: str, threads: int = 1,
                 in_flight: int | None = None, device: str = "auto"):
        import torch

        torch.set_num_threads(threads)
        self.cfg = cfg
        self.out = out
        self.in_flight = in_flight
        self.device = device
        self._dir = tempfile.TemporaryDirectory(prefix="tengen-worker-")
        self._nets: dict[int, Networks] = {}
        warm_up(cfg.setup.size)

    def pid(self) -> int:
        return os.getpid()

    def _networks(self, version: int, weights: Weights) -> "Networks":
        """The ``Networks`` of ``version``; ``weights`` is the model file's
        bytes, or a Ray object reference to them, fetched on first use."""
        nets = self._nets.get(version)
        if nets is None:
            from nets.inference import Networks

            if not isinstance(weights, bytes):
                import ray
                weights = ray.get(weights)
            path = Path(self._dir.name) / f"v{version}.safetensors"
            atomic_write_bytes(path, weights)
            kind = "value" if version < 0 else "policy"
            nets = Networks(path if kind == "policy" else None, path if kind == "value" else None,
                            bf16=None, device=self.device)
            self._nets[version] = nets
            if len(self._nets) > 8:      # keep the most recent versions only
                self._nets.pop(next(iter(self._nets)))
        return nets

    def play(self, job: Job, weights: dict[int, Weights]) -> BatchRecord:
        """Play ``job`` with ``weights`` (version -> bytes or reference)."""
        return self.play_jobs([job], weights)[0]

    def play_jobs(self, jobs: list[Job], weights: dict[int, Weights]) -> list[BatchRecord]:
        """Play the games of all ``jobs`` together, ``in_flight`` at a time
        (a finished game's board goes to the next game waiting, so batches
        stay full), networks keyed by version so that games of one version
        share calls whichever job they come from; then write each job's
        records."""
        nets: dict[str, Networks] = {}
        specs: list[GameSpec] = []
        owners: list[tuple[int, GameSpec]] = []
        for j, job in enumerate(jobs):
            keys = {key: f"v{v}" for key, v in job.versions.items()}
            for v in job.versions.values():
                nets[f"v{v}"] = self._networks(v, weights[v])
            for spec in job.specs:
                specs.append(replace(spec, black=keys[spec.black], white=keys[spec.white],
                                     before=keys[spec.before] if spec.before else None))
                owners.append((j, spec))
        value_version = next((j.value_version for j in jobs if j.value_version is not None),
                             None)
        value = None if value_version is None else self._networks(value_version,
                                                                  weights[value_version])
        played = GameRunner(self.cfg, nets, value).play(specs, self.in_flight)
        per_job: list[list] = [[] for _ in jobs]
        for pg, (j, spec) in zip(played, owners):
            pg.spec = spec                  # the job's own keys again, for the records
            per_job[j].append(pg)
        return [write_batch(games, self.out, job.kind, job.iteration, job.tag, job.labels,
                            dict(job.meta, versions=job.versions))
                for job, games in zip(jobs, per_job)]


class LocalWorkers:
    """One worker in this process: all jobs of a call played together,
    ``in_flight`` games at a time, its networks on ``device``."""

    def __init__(self, cfg: GameConfig, out: str, threads: int = 1,
                 in_flight: int | None = None, device: str = "auto"):
        self.worker = GameWorker(cfg, out, threads, in_flight, device)
        self.count = 1

    def weights(self, version: int, data: bytes) -> Weights:
        return data

    def run(self, jobs: list[Job], weights: dict[int, Weights]) -> Iterator[BatchRecord]:
        if jobs:
            yield from self.worker.play_jobs(jobs, weights)

    def close(self) -> None:
        pass


def _needed(job: Job) -> set[int]:
    need = set(job.versions.values())
    if job.value_version is not None:
        need.add(job.value_version)
    return need


def ray_token_mode() -> bool:
    """Set ``RAY_AUTH_MODE=token`` for this process when it is unset and a
    Ray authentication token is at hand (``RAY_AUTH_TOKEN``, the file named
    by ``RAY_AUTH_TOKEN_PATH``, or ``~/.ray/auth_token``); True when the
    driver now sends a token.

    Why: ``ray start --head`` turns token authentication on whenever a token
    exists on the machine (Ray creates ``~/.ray/auth_token`` the first time
    ``ray.init`` starts an instance), and a driver joining by an explicit
    address (``--ray-address HOST:PORT``, ``RAY_ADDRESS``) then sends none
    unless ``RAY_AUTH_MODE=token``: Ray retries for 20 s and fails with
    "Authentication token is missing or incorrect".  A cluster without
    authentication accepts a driver that sends a token, so sending it
    whenever there is one costs nothing.  An explicit ``RAY_AUTH_MODE``
    (``disabled``) is left alone."""
    mode = os.environ.get("RAY_AUTH_MODE")
    if mode is not None:
        return mode.lower() == "token"
    token_file = Path(os.environ.get("RAY_AUTH_TOKEN_PATH") or Path.home() / ".ray" / "auth_token")
    if not (os.environ.get("RAY_AUTH_TOKEN") or token_file.is_file()):
        return False
    os.environ["RAY_AUTH_MODE"] = "token"
    ray = sys.modules.get("ray")
    if ray is not None:
        # Ray reads its settings once, when it is imported; read them again
        config = getattr(getattr(ray, "_raylet", None), "Config", None)
        if config is not None:
            config.initialize("")
    return True


def connection_help(address: str, error: BaseException) -> str:
    """The one message for a Ray cluster that could not be joined: what
    failed and what to do."""
    reason = (str(error).strip().splitlines() or [""])[0]
    return (f"cannot join the Ray cluster at {address!r} ({type(error).__name__}: {reason}). "
            "Is it running there (ray status)? A cluster started by ray start with token "
            "authentication (Ray turns it on when ~/.ray/auth_token exists) needs the head's "
            "token on this machine too: copy ~/.ray/auth_token from the head, or set "
            "RAY_AUTH_TOKEN, and start every node with RAY_AUTH_MODE=token (README, "
            "\"On several cores or machines\"). Without --ray-address (and RAY_ADDRESS) "
            "self-play runs on a private Ray instance on this machine.")


def init_ray(workers: int, address: str | None, object_store_mb: int) -> bool:
    """Connect to Ray: join the cluster at ``address`` (or ``RAY_ADDRESS``),
    else start a private local instance; True when this call connected
    (``ray.shutdown`` then disconnects, and stops a private instance).
    A cluster that cannot be joined is a RuntimeError saying what to do
    (``connection_help``)."""
    address = address or os.environ.get("RAY_ADDRESS")
    if address:
        ray_token_mode()      # before Ray is imported, where it reads the setting
    try:
        import ray
    except ImportError:
        raise RuntimeError("more than one self-play worker runs on Ray, which is not "
                           "installed: pip install 'tengen[ray]' (or ray>=2.9), or use "
                           "--workers 1") from None

    if ray.is_initialized():
        return False
    if address:
        try:
            ray.init(address=address, log_to_driver=True)
        except Exception as e:      # noqa: BLE001 - Ray raises many kinds for one failure
            raise RuntimeError(connection_help(address, e)) from None
        return True
    ray.init(address="local", num_cpus=workers, include_dashboard=False,
             object_store_memory=object_store_mb * 1024 * 1024, _node_ip_address="127.0.0.1",
             log_to_driver=True, configure_logging=False)
    return True


def gpus_per_worker(kind: str, workers: int, cluster_gpus: float, asked: float | None) -> float:
    """The GPUs each Ray worker asks Ray for: ``asked`` (``--worker-gpus``),
    else with the networks on CUDA the cluster's GPUs shared evenly among
    the workers, at most one each (fractional: Ray packs several workers on
    one GPU, each with its own share of the work in flight), else none.
    RuntimeError where CUDA is asked for and Ray has no GPU to give: an
    actor without a share sees no GPU at all (Ray hides them)."""
    if kind != "cuda":
        if asked:
            raise RuntimeError(f"--worker-gpus {asked:g} asks Ray for CUDA GPUs, but the "
                               f"networks run on {kind}: pass --device cuda")
        return 0.0
    if asked is None:
        asked = min(1.0, cluster_gpus / workers)
    if asked <= 0 or cluster_gpus < asked:
        raise RuntimeError(f"--device cuda: the Ray cluster has {cluster_gpus:g} GPU(s) for "
                           f"{workers} workers asking {asked:g} each (a node's GPUs count once "
                           "it runs ray start with them; --worker-gpus sets the share), or pass "
                           "--device cpu")
    return asked


class RayWorkers:
    """``count`` ``GameWorker`` actors, with their share of the GPUs when the
    networks run on CUDA (``gpus_per_worker``); ``run`` hands each free
    actor the next job and yields records as they arrive."""

    def __init__(self, cfg: GameConfig, out: str, count: int, address: str | None = None,
                 object_store_mb: int = 256, threads: int = 1, device: str = "cpu",
                 gpus: float | None = None):
        from nets.device import resolve_device

        kind = resolve_device(device).type
        self.started = init_ray(count, address, object_store_mb)
        import ray

        self.ray = ray
        self.cfg, self.out, self.threads = cfg, out, threads
        self.count = count
        try:
            self.gpus = gpus_per_worker(kind, count, ray.cluster_resources().get("GPU", 0.0),
                                        gpus)
        except RuntimeError:
            if self.started:
                ray.shutdown()
            raise
        # a worker's CUDA device is the one Ray gave it (CUDA_VISIBLE_DEVICES): "cuda"
        self.worker_device = kind
        self._actor_class = ray.remote(num_cpus=1, num_gpus=self.gpus,
                                       max_restarts=0)(GameWorker)
        self.actors = [self._new_actor() for _ in range(count)]
        self.deaths = 0

    def _new_actor(self) -> Any:
        # an ActorHandle[GameWorker]; Ray's annotations cannot type its methods' .remote calls
        return self._actor_class.remote(self.cfg, self.out, self.threads, None,
                                        self.worker_device)

    def weights(self, version: int, data: bytes) -> Weights:
        """The object reference of a version's weights: put once, shared by all."""
        return self.ray.put(data)

    def run(self, jobs: list[Job], weights: dict[int, Weights]) -> Iterator[BatchRecord]:
        ray = self.ray
        queue = [(job, 0) for job in jobs]
        # object ref -> (actor index, job, tries)
        running: dict[ObjectRef[BatchRecord], tuple[int, Job, int]] = {}
        free = list(range(len(self.actors)))
        while queue or running:
            while queue and free:
                job, tries = queue.pop(0)
                i = free.pop(0)
                ref = self.actors[i].play.remote(job, {v: weights[v] for v in _needed(job)})
                running[ref] = (i, job, tries)
            done, _ = ray.wait(list(running), num_returns=1)
            ref = done[0]
            i, job, tries = running.pop(ref)
            try:
                record = ray.get(ref)
            except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError) as e:
                self.deaths += 1
                again = tries == 0
                log.warning("self-play worker %d died during batch %s-it%d-%s (%d games in "
                            "flight lost: %s); %s", i, job.kind, job.iteration, job.tag,
                            len(job.specs), type(e).__name__,
                            "starting a replacement and playing the batch again" if again
                            else "starting a replacement; the batch is given up")
                self.actors[i] = self._new_actor()
                if again:
                    queue.append((job, tries + 1))
                free.append(i)
                continue
            free.append(i)
            yield record

    def close(self) -> None:
        for a in self.actors:
            self.ray.kill(a)
        self.actors = []
        if self.started:
            self.ray.shutdown()
