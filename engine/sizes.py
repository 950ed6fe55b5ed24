"""The board sizes tengen plays, without importing Numba: the GTP front end
checks a size on its command line before it loads the engine."""

MIN_SIZE, MAX_SIZE = 2, 25


def check_size(n: int) -> int:
    """``n`` if tengen plays on an n x n board; ValueError otherwise."""
    if not MIN_SIZE <= n <= MAX_SIZE:
        raise ValueError(f"board size must be {MIN_SIZE}..{MAX_SIZE}")
    return n
