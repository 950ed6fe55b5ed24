"""The moves that are not board points, in one place and without Numba (the
GTP front end reads them before it loads the engine).

A move everywhere in tengen is a board point (``engine.coords.to_point``) or
one of these; they are negative so that they never collide with a point.
"""

PASS = -1       # a move: the player passes
NO_MOVE = -2    # no move at all (the board's "last move" before the first one)
RESIGN = -3     # a player's answer: it resigns (never played on a board)
