"""Helpers for the analysis tests: small SGF games written by the tests,
tiny random networks, and a configuration that searches them quickly."""

import numpy as np
from gtp_helpers import save_tiny_models

from tengen.review.config import AnalyzeConfig
from nets.config import NetworkConfig

# a 9x9 game with a variation at move 4 and a comment on move 5
GAME_9 = (b"(;GM[1]FF[4]CA[UTF-8]SZ[9]KM[7]RU[Japanese]PB[Alice]PW[Bob]RE[B+R]DT[2026-01-02]"
          b";B[ee];W[gc];B[cg](;W[dc];B[cc]C[a comment];W[cd];B[dd];W[bc];B[fg];W[gg])"
          b"(;W[ef]))")
# two black stones of handicap, komi 0.5, White first
HANDICAP_9 = (b"(;GM[1]FF[4]SZ[9]KM[0.5]HA[2]AB[cc][gg]PL[W]PB[Hana]PW[Ken]"
              b";W[ec];B[ee];W[gc];B[cf])")
# ended by two passes, no result
PASSES_5 = b"(;GM[1]FF[4]SZ[5]KM[0];B[cc];W[bb];B[dd];W[];B[])"


def tiny_config(tmp_path, **kw) -> AnalyzeConfig:
    """A config with tiny random networks and a small budget."""
    folder = tmp_path / "models"
    folder.mkdir(exist_ok=True)
    policy, value = save_tiny_models(folder, seed=3)
    kw.setdefault("visits", 24)
    kw.setdefault("batch_size", 8)
    kw.setdefault("seed", 1)
    kw.setdefault("progress", False)
    return AnalyzeConfig(networks=NetworkConfig(policy_model=policy, value_model=value,
                                                threads=1), **kw)


def write_game(folder, name, data: bytes):
    path = folder / name
    path.write_bytes(data)
    return path


def centre_value(self, planes):
    """A stand-in value network: a stone far from the centre is bad for its
    owner, so that the review finds mistakes to class and to show."""
    n = planes.shape[-1]
    c = (n - 1) / 2
    yy, xx = np.mgrid[0:n, 0:n]
    far = np.abs(xx - c) + np.abs(yy - c)
    mine = (planes[:, 0] * far).sum(axis=(1, 2))
    theirs = (planes[:, 1] * far).sum(axis=(1, 2))
    return np.tanh(0.08 * (theirs - mine)).astype(np.float32)


def stone_ownership(self, planes, symmetries=1):
    """A stand-in value network with an ownership head that reads the
    stones: +1 on the mover's, -1 on the opponent's (so that the better
    line and the move played own different points), values as
    ``centre_value``."""
    own = planes[:, 0].astype(np.float32) - planes[:, 1].astype(np.float32)
    return centre_value(self, planes), own
