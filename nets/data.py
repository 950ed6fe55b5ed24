"""Training positions from SGF games: a corpus in memory, windows of
encoded positions, and a resumable, deterministic stream of batches.

Why this shape:

* the games themselves are small (a move is two bytes), so a whole corpus of
  100,000 games is kept as flat arrays (``Corpus``) after one pass over the
  archives; positions are re-created by replaying, never stored on disk;
* the stream takes the games in a random order, a window of games at a time,
  replays and encodes every chosen position of the window in compiled code
  (``encode_games``), applies a random symmetry of the square to each,
  packs the planes into bits (48 x 361 bits = 2,166 bytes a position) and
  shuffles the window; consecutive positions of one game therefore land far
  apart, and one window of 1,000 games holds about 200,000 positions;
* everything is a function of (seed, epoch, window), so the stream's state
  is three integers: a resumed run sees exactly the batches it would have;
* so windows can be built ahead, in worker processes (``workers``), while
  the device trains on the current one: the same windows, in the same
  order, whichever process built them (``stream_window``).  A GPU steps
  through a window of 1,000 games in seconds, faster than one process
  encodes the next.

Policy positions are every move of a game; value positions are a few per
game (AlphaGo: successive positions share one outcome, and training on all
of them overfits), labelled +1 if the player to move went on to win.
"""

import multiprocessing
import os
import weakref
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from engine import board as B
from engine.coords import point_to_index
from engine.corpus import Corpus
from engine.dead_stones import ownership_counts
from engine.replay import recorded_move, recorded_move_ok, replay_corpus_game, start_position
from tengen.base.files import atomic_write

from .features import encode
from .symmetry import transform_index, transform_planes


@njit(cache=True, nogil=True)
def ownership_percent(s: np.ndarray, playouts: int, seed: int, out: np.ndarray) -> None:
    """The area ownership of position ``s`` estimated by ``playouts`` Monte
    Carlo playouts (engine.dead_stones), in Black's frame, as percentages in
    [-100, 100] per point (row-major, y*n + x) into ``out`` (n*n,): the
    final-ownership target of the value network."""
    black, white = ownership_counts(s, playouts, seed)
    percent_from_counts(s[B.H_N], black, white, playouts, out)


@njit(cache=True, nogil=True)
def percent_from_counts(n: int, black: np.ndarray, white: np.ndarray, playouts: int,
                        out: np.ndarray) -> None:
    """``ownership_percent`` from ``ownership_counts`` already made."""
    w = n + 2
    for y in range(n):
        for x in range(n):
            q = (y + 1) * w + x + 1
            out[y * n + x] = (100 * (black[q] - white[q])) // playouts


@njit(cache=True, nogil=True)
def _final_ownership(n: int, pts: np.ndarray, cols: np.ndarray, offs: np.ndarray,
                     spts: np.ndarray, scols: np.ndarray, soffs: np.ndarray, first: np.ndarray,
                     playouts: int, out: np.ndarray) -> None:
    """``ownership_percent`` of every game's final position."""
    for g in range(offs.shape[0] - 1):
        s, _ = replay_corpus_game(n, pts, cols, offs, spts, scols, soffs, first, g, -1)
        ownership_percent(s, playouts, g + 1, out[g])


def final_ownership(corpus: Corpus, playouts: int = 24,
                    cache: str | os.PathLike[str] | None = None) -> np.ndarray:
    """Ownership maps of every game's final position (``_final_ownership``),
    int8 (games, n*n); kept in ``cache`` (an .npy path) if given, since the
    playouts take a few minutes for a large corpus."""
    if cache is not None and os.path.exists(cache):
        own = np.load(cache, allow_pickle=False)
        if own.shape == (corpus.games, corpus.size ** 2):
            return own
    own = np.zeros((corpus.games, corpus.size ** 2), dtype=np.int8)
    _final_ownership(corpus.size, corpus.points, corpus.colors, corpus.offsets,
                     corpus.setup_points, corpus.setup_colors, corpus.setup_offsets,
                     corpus.first, playouts, own)
    if cache is not None:
        with atomic_write(cache) as f:
            np.save(f, own)
    return own


@njit(cache=True, nogil=True)
def encode_games(n: int, pts: np.ndarray, cols: np.ndarray, offs: np.ndarray, spts: np.ndarray,
                 scols: np.ndarray, soffs: np.ndarray, winner: np.ndarray, first: np.ndarray,
                 games: np.ndarray, pick: np.ndarray, out: np.ndarray, out_move: np.ndarray,
                 out_value: np.ndarray, out_movenum: np.ndarray, out_game: np.ndarray) -> int:
    """Replay ``games`` and encode the positions where ``pick`` (one flag
    per move of the corpus) is set: planes into ``out``, the move played
    (policy index) into ``out_move``, +1/-1/0 into ``out_value`` (the
    player to move won / lost / unknown), the number of moves played
    before it into ``out_movenum`` and its game into ``out_game``.  A game stops at an illegal move.
    Returns the number of positions written."""
    m = 0
    nj = np.zeros(0, dtype=np.int64)
    for gi in range(games.shape[0]):
        g = games[gi]
        s, ok = start_position(n, spts, scols, soffs[g], soffs[g + 1], first[g])
        if not ok:
            continue
        for k in range(offs[g], offs[g + 1]):
            p, c = recorded_move(pts, cols, k)
            if not recorded_move_ok(s, p, c):
                break
            if pick[k] and m < out.shape[0]:
                encode(s, out[m])
                out_move[m] = point_to_index(p, n)
                wn = winner[g]
                out_value[m] = 0 if wn == 0 else (1 if wn == c else -1)
                out_movenum[m] = k - offs[g]
                out_game[m] = g
                m += 1
            B.play(s, nj, p, c)
    return m


@dataclass
class Window:
    """Encoded, symmetrised, shuffled positions, planes packed in bits."""
    packed: np.ndarray   # (M, bytes) uint8
    move: np.ndarray     # (M,) int64 policy index
    value: np.ndarray    # (M,) float32 in {-1, 0, 1}
    movenum: np.ndarray  # (M,) int32 moves played before the position
    planes: int
    size: int
    owner: np.ndarray | None = None   # (M, n*n) int8 final ownership, mover's frame, in percent
    # (M,) int64 corpus game of each position
    game: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.move)

    def owner_of(self, idx: np.ndarray) -> np.ndarray | None:
        """Final-ownership targets in [-1, 1] (len(idx), n, n), or None."""
        if self.owner is None:
            return None
        n = self.size
        return self.owner[idx].reshape(len(idx), n, n).astype(np.float32) / 100.0

    def planes_of(self, idx: np.ndarray) -> np.ndarray:
        """Unpacked uint8 planes (len(idx), planes, n, n)."""
        n = self.size
        bits = np.unpackbits(self.packed[idx], axis=1, count=self.planes * n * n)
        return bits.reshape(len(idx), self.planes, n, n)


def build_window(corpus: Corpus, games: np.ndarray, planes: int, rng: np.random.Generator,
                 per_game: int | None = None, symmetries: bool = True, chunk_games: int = 64,
                 ownership: np.ndarray | None = None, chosen: np.ndarray | None = None) -> Window:
    """Encode the chosen positions of ``games`` (all of them, ``per_game``
    random ones per game, or with ``chosen`` (an index per corpus game) the
    position before that move only), each under a random symmetry,
    shuffled.  With ``ownership`` (``final_ownership``) each position
    carries its game's final ownership map from the mover's point of view,
    symmetrised alike."""
    n = corpus.size
    offs = corpus.offsets
    pick = np.zeros(corpus.moves, dtype=np.bool_)
    for g in games:
        a, b = offs[g], offs[g + 1]
        if chosen is not None:
            if 0 <= chosen[g] < b - a:
                pick[a + chosen[g]] = True
        elif per_game is None:
            pick[a:b] = True
        elif b > a:
            take = rng.choice(b - a, size=min(per_game, b - a), replace=False)
            pick[a + take] = True
    packed, moves, values, movenums, owners, gids = [], [], [], [], [], []
    for i in range(0, len(games), chunk_games):
        part = np.asarray(games[i:i + chunk_games], dtype=np.int64)
        count = int(sum(pick[offs[g]:offs[g + 1]].sum() for g in part))
        if count == 0:
            continue
        out = np.zeros((count, planes, n, n), dtype=np.uint8)
        om = np.zeros(count, dtype=np.int64)
        ov = np.zeros(count, dtype=np.int8)
        omn = np.zeros(count, dtype=np.int32)
        og = np.zeros(count, dtype=np.int64)
        m = encode_games(n, corpus.points, corpus.colors, offs, corpus.setup_points,
                         corpus.setup_colors, corpus.setup_offsets, corpus.winner,
                         corpus.first, part, pick, out, om, ov, omn, og)
        out, om, ov = out[:m], om[:m], ov[:m]
        own = None
        if ownership is not None:
            # Black's frame to the mover's: the player-colour plane says who moves
            sign = np.where(out[:, -1, 0, 0] == 1, 1, -1).astype(np.int8) \
                if planes == 49 else np.ones(m, np.int8)
            own = (ownership[og[:m]] * sign[:, None]).reshape(m, n, n)
        if symmetries:
            ks = rng.integers(0, 8, size=m)
            for k in range(1, 8):
                sel = np.nonzero(ks == k)[0]
                if len(sel):
                    out[sel] = transform_planes(out[sel], k)
                    om[sel] = transform_index(om[sel], k, n)
                    if own is not None:
                        own[sel] = transform_planes(own[sel], k)
        packed.append(np.packbits(out.reshape(m, -1), axis=1))
        moves.append(om)
        values.append(ov.astype(np.float32))
        movenums.append(omn[:m])
        gids.append(og[:m])
        if own is not None:
            owners.append(own.reshape(m, n * n))
    if not packed:
        return Window(np.zeros((0, (planes * n * n + 7) // 8), np.uint8),
                      np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.int32),
                      planes, n, game=np.zeros(0, np.int64))
    all_moves = np.concatenate(moves)
    order = rng.permutation(len(all_moves))
    owner = np.concatenate(owners)[order] if owners else None
    return Window(np.concatenate(packed)[order], all_moves[order], np.concatenate(values)[order],
                  np.concatenate(movenums)[order], planes, n, owner, np.concatenate(gids)[order])


def stream_window(corpus: Corpus, eligible: np.ndarray, seed: int, epoch: int, index: int,
                  window_games: int, planes: int, per_game: int | None, symmetries: bool,
                  ownership: np.ndarray | None, chosen: np.ndarray | None) -> Window:
    """Window ``index`` of epoch ``epoch`` of a stream (``PositionStream``):
    the games permuted by (seed, epoch), cut into windows, this one encoded
    with its own generator.  A pure function of its arguments, so a worker
    process builds exactly the window this process would."""
    order = np.random.default_rng([seed, epoch]).permutation(eligible)
    a = index * window_games
    games = order[a:a + window_games]
    rng = np.random.default_rng([seed, epoch, index, 1])
    return build_window(corpus, games, planes, rng, per_game, symmetries, ownership=ownership,
                        chosen=chosen)


_WORKER_STREAM: dict = {}       # a window worker's stream settings (``_start_worker``)


def _start_worker(settings: dict) -> None:
    _WORKER_STREAM.update(settings)


def _worker_window(epoch: int, index: int) -> "Window":
    return stream_window(epoch=epoch, index=index, **_WORKER_STREAM)


class PositionStream:
    """Batches for training, endlessly, in a deterministic order.

    The games are permuted once per epoch; the epoch is cut into windows of
    ``window_games`` games; a window is encoded and shuffled as a whole.
    ``state()`` / ``restore()`` capture the position in the stream as
    (epoch, window, offset).  With ``workers`` > 0 that many processes
    build the next windows ahead (``close`` ends them)."""

    def __init__(self, corpus: Corpus, planes: int, batch_size: int, seed: int = 0,
                 window_games: int = 1000, per_game: int | None = None, need_winner: bool = False,
                 symmetries: bool = True, ownership: np.ndarray | None = None,
                 chosen: np.ndarray | None = None, workers: int = 0) -> None:
        self.corpus = corpus
        self.chosen = chosen
        self.planes = planes
        self.batch_size = batch_size
        self.seed = seed
        self.window_games = window_games
        self.per_game = per_game
        self.symmetries = symmetries
        self.ownership = ownership
        eligible = np.arange(corpus.games)
        if need_winner:
            eligible = eligible[corpus.winner != 0]
        if len(eligible) == 0:
            raise ValueError("no games to train on")
        self.eligible = eligible
        self.epoch, self.window_index, self.offset = 0, 0, 0
        self._window: Window | None = None
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._ahead: dict[tuple[int, int], Future[Window]] = {}

    def _settings(self) -> dict:
        return dict(corpus=self.corpus, eligible=self.eligible, seed=self.seed,
                    window_games=self.window_games, planes=self.planes, per_game=self.per_game,
                    symmetries=self.symmetries, ownership=self.ownership, chosen=self.chosen)

    def state(self) -> dict[str, int]:
        return {"epoch": self.epoch, "window": self.window_index, "offset": self.offset}

    def restore(self, state: dict[str, int]) -> None:
        self.epoch, self.window_index, self.offset = state["epoch"], state["window"], state["offset"]
        self._window = None

    @property
    def windows_per_epoch(self) -> int:
        return -(-len(self.eligible) // self.window_games)

    def _following(self, epoch: int, index: int, k: int) -> tuple[int, int]:
        """The window ``k`` windows after (epoch, index)."""
        index += k
        return epoch + index // self.windows_per_epoch, index % self.windows_per_epoch

    def _load_window(self) -> Window:
        if not self.workers:
            return stream_window(epoch=self.epoch, index=self.window_index, **self._settings())
        if self._pool is None:
            # spawn: a fresh interpreter, whatever this process holds (CUDA, threads)
            self._pool = ProcessPoolExecutor(self.workers, multiprocessing.get_context("spawn"),
                                             initializer=_start_worker,
                                             initargs=(self._settings(),))
            weakref.finalize(self, self._pool.shutdown, wait=False, cancel_futures=True)
        now = (self.epoch, self.window_index)
        wanted = [self._following(*now, k) for k in range(self.workers + 1)]
        for key in list(self._ahead):
            if key not in wanted:
                self._ahead.pop(key).cancel()
        for key in wanted:
            if key not in self._ahead:
                self._ahead[key] = self._pool.submit(_worker_window, *key)
        return self._ahead.pop(now).result()

    def close(self) -> None:
        """End the window workers (a stream used again starts them anew)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._ahead = {}

    def next_batch(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """(planes uint8 (B, P, n, n), move int64 (B,), value float32 (B,),
        final ownership float32 (B, n, n) or None)."""
        while True:
            if self._window is None:
                self._window = self._load_window()
                if len(self._window) < self.batch_size:
                    raise ValueError(f"a window of {self.window_games} games holds only "
                                     f"{len(self._window)} positions, fewer than one batch of "
                                     f"{self.batch_size}: use more games per window")
            if self.offset + self.batch_size <= len(self._window):
                break
            self.offset = 0
            self.window_index += 1
            self._window = None
            if self.window_index >= self.windows_per_epoch:
                self.window_index = 0
                self.epoch += 1
        w = self._window
        idx = np.arange(self.offset, self.offset + self.batch_size)
        self.offset += self.batch_size
        return w.planes_of(idx), w.move[idx], w.value[idx], w.owner_of(idx)


def fixed_sample(corpus: Corpus, planes: int, positions: int, per_game: int = 4,
                 need_winner: bool = False, seed: int = 12345,
                 ownership: np.ndarray | None = None) -> Window:
    """A fixed, reproducible set of about ``positions`` positions for
    validation, ``per_game`` from each of as many games as that takes
    (no symmetries)."""
    rng = np.random.default_rng(seed)
    eligible = np.arange(corpus.games)
    if need_winner:
        eligible = eligible[corpus.winner != 0]
    games = rng.permutation(eligible)[:-(-positions // per_game)]
    w = build_window(corpus, np.sort(games), planes, rng, per_game=per_game, symmetries=False,
                     ownership=ownership)
    keep = min(positions, len(w))
    return Window(w.packed[:keep], w.move[:keep], w.value[:keep], w.movenum[:keep], planes,
                  w.size, None if w.owner is None else w.owner[:keep], w.game[:keep])
