"""Helpers shared by the rollout policy's tests: the feature layout, random
positions and random rollout models."""

import numpy as np

from engine import board as B
from engine.board import H_TOMOVE
from engine.playouts import random_move
from nets.rollout import features as F
from nets.rollout import model as RM

LAY = F.layout()


def random_position(n, moves, seed, suicide=False):
    """A position after ``moves`` uniformly random moves (no eye filling)."""
    s = B.new_state(n, suicide)
    rng = np.array([seed * 7919 + 1], dtype=np.uint64)
    nj = np.zeros(0, dtype=np.int64)
    for _ in range(moves):
        c = s[H_TOMOVE]
        B.play(s, nj, random_move(s, c, rng), c)
    return s


def random_model(seed, scale=1.0):
    w = np.random.default_rng(seed).normal(0.0, scale, LAY.size).astype(np.float32)
    return RM.RolloutModel(w)
