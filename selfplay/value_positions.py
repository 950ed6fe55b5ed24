"""AlphaGo's value-network data: one position per game, from games that
differ from the first move on.

Why not every position of the self-play games: successive positions of one
game share one outcome and differ by a stone, so a value network trained
on all of them learns to recognise games rather than judge positions
(AlphaGo overfitted badly this way: MSE 0.19 on training, 0.37 on test
positions).  AlphaGo's sampler instead draws U uniformly, plays the
supervised policy up to move U, plays move U uniformly at random among the
legal moves (which takes the game off the policies' well-trodden lines),
then lets the RL policy play both sides to the end; the one training
position is the one right after the random move, labelled with the game's
result and (tengen's auxiliary target) the final ownership.
"""

import numpy as np

from .games import GameSpec


def max_random_move(size: int) -> int:
    """The range of U: AlphaGo drew U from 1..450 on 19x19, past the end of
    most games; tengen scales it to the board (two thirds of the points:
    240 on 19x19, 54 on 9x9), so that nearly every game reaches U."""
    return max(1, (2 * size * size) // 3)


def value_specs(count: int, rng: np.random.Generator, size: int, sl: str, rl: str,
                first_seed: int) -> list[GameSpec]:
    """``count`` value-position games: U uniform in [0, max_random_move),
    the SL policy ``sl`` before it, the RL policy ``rl`` after it, no
    resignation (the game is played out, so that its result and final
    ownership are the count's, not a guess)."""
    top = max_random_move(size)
    return [GameSpec(seed=first_seed + i, black=rl, white=rl, resign=False,
                     random_move_at=int(rng.integers(0, top)), before=sl)
            for i in range(count)]

