"""Where handicap stones go: GTP's fixed points, and free placement
spread over the board where GTP defines no fixed points (more stones, or
small boards)."""

import numpy as np

from .coords import all_points, to_point, to_xy


def fixed_handicap_points(n: int, size: int) -> list[int]:
    """The GTP fixed handicap points (GTP 2 spec 4.1.1, as GNU Go places
    them); raises ValueError where the spec defines none."""
    if size < 7 or n < 2:
        raise ValueError("invalid handicap")
    limit = 9 if size % 2 == 1 and size >= 9 else 4
    if n > limit:
        raise ValueError("invalid handicap")
    d = 2 if size < 13 else 3
    lo, hi, mid = d, size - 1 - d, size // 2
    xy = [(lo, lo), (hi, hi), (lo, hi), (hi, lo)]
    if n >= 6:
        xy += [(lo, mid), (hi, mid)]
    if n >= 8:
        xy += [(mid, lo), (mid, hi)]
    xy = xy[:n] if n <= 4 else xy
    if n in (5, 7, 9):
        xy.append((mid, mid))
    return [to_point(x, y, size) for x, y in xy]


def spread_points(n: int, size: int) -> list[int]:
    """``n`` handicap points: GTP's fixed points when it defines them for
    ``n``, else as many of them as fit and then, one at a time, the point
    farthest (Euclidean) from all chosen ones, nearer the centre on ties."""
    limit = 0 if size < 7 else (9 if size % 2 == 1 and size >= 9 else 4)
    chosen = fixed_handicap_points(min(n, limit), size) if limit >= 2 and n >= 2 else []
    points = all_points(size)
    xy = np.array([to_xy(p, size) for p in points], dtype=np.float64)
    centre = (size - 1) / 2
    # tie-break: a tiny penalty for the distance from the centre
    penalty = 1e-6 * ((xy[:, 0] - centre) ** 2 + (xy[:, 1] - centre) ** 2)
    far = np.full(len(points), 1e9)  # nothing chosen yet: the centre wins
    index = {p: i for i, p in enumerate(points)}
    for p in chosen:
        far = np.minimum(far, ((xy - xy[index[p]]) ** 2).sum(axis=1))
    taken = np.zeros(len(points), dtype=bool)
    taken[[index[p] for p in chosen]] = True
    while len(chosen) < n:
        score = np.where(taken, -np.inf, far - penalty)
        i = int(np.argmax(score))
        chosen.append(points[i])
        taken[i] = True
        far = np.minimum(far, ((xy - xy[i]) ** 2).sum(axis=1))
    return chosen
