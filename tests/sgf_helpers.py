"""Helpers shared by the SGF tests: GTP-named points, board comparisons and
random games, and a ko position in SGF."""

import numpy as np

from engine import board as B
from engine.board import PASS
from engine.coords import format_sgf, parse_gtp
from engine.game import Game
from engine.playouts import random_move


def sp(vertex, n=9):
    """SGF point of a GTP vertex: tests read in GTP terms."""
    return format_sgf(parse_gtp(vertex, n), n)


def pt(vertex, n=9):
    return parse_gtp(vertex, n)


def position(state):
    """What a board state says about the game: stones, when each was played,
    side to move, ko, hash, captures, passes (not the order of its internal
    lists, which depends on the order setup stones were placed)."""
    header = [B.H_N, B.H_TOMOVE, B.H_KO, B.H_HASH, B.H_PASSES, B.H_MOVENUM, B.H_CAP,
              B.H_CAP + 1, B.H_LAST, B.H_LAST2, B.H_NEMPTY, B.H_SUICIDE]
    return np.concatenate([state[header], state[B.COLOR:B.COLOR + B.MAXM],
                           state[B.MOVED:B.MOVED + B.MAXM]])


def same_state(a, b):
    """Two replays of one record built identical arrays (scratch marks aside)."""
    a, b = a[:B.MARK].copy(), b[:B.MARK].copy()
    a[B.H_STAMP] = b[B.H_STAMP] = 0
    return np.array_equal(a, b)


def random_game(n, moves, seed, rules=None, komi=7.5, handicap=0):
    """A game of random legal moves (captures, kos, passes included)."""
    g = Game(n, komi, rules)
    if handicap:
        g.fixed_handicap(handicap)
    rng = np.array([seed * 7919 + 1], dtype=np.uint64)
    for _ in range(moves):
        p = random_move(g.state.copy(), g.to_move, rng)
        if p != PASS and not g.legal(p):
            p = PASS
        g.play(p)
        if g.is_over:
            break
    return g


# a ko on 9x9: black C5 B4 C3, white D5 E4 D3 and C4 in atari at D4
KO = f"AB[{sp('C5')}][{sp('B4')}][{sp('C3')}]AW[{sp('D5')}][{sp('E4')}][{sp('D3')}][{sp('C4')}]"
