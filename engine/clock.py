"""Time controls and the clocks of both players, from the engine's side.

Why the engine keeps its own clock: GUIs tell the engine the time control
once (``time_settings``, ``kgs-time_settings``) and may or may not send
``time_left`` before each move.  The front end charges the time each
``genmove`` took, ``time_left`` overrides that bookkeeping whenever it
arrives, and a player asks ``move_budget`` how long it may think.

Systems (GTP 2 section 4.2 and the KGS extension):

* ``none``: no limit;
* ``absolute``: ``main_time`` for the whole game;
* ``canadian``: ``main_time``, then ``period_stones`` moves in every
  ``period_time`` (the GTP ``time_settings`` system);
* ``byoyomi`` (Japanese): ``main_time``, then ``periods`` periods of
  ``period_time``; a move played within a period keeps it, a longer one
  uses it up.
"""

import math
from dataclasses import dataclass, replace

from .board import BLACK, H_NEMPTY, WHITE
from .game import Game

SYSTEMS = ("none", "absolute", "canadian", "byoyomi")


@dataclass(frozen=True)
class TimeControl:
    system: str = "none"
    main_time: float = 0.0
    period_time: float = 0.0
    period_stones: int = 0   # canadian: moves per period
    periods: int = 0         # byoyomi: number of periods

    def __post_init__(self) -> None:
        if self.system not in SYSTEMS:
            raise ValueError(f"unknown time system {self.system!r}")
        for v in (self.main_time, self.period_time):
            if not math.isfinite(v) or v < 0:
                raise ValueError("times must be finite and non-negative")
        if self.period_stones < 0 or self.periods < 0:
            raise ValueError("stone and period counts must be non-negative")
        if self.system == "canadian" and (self.period_stones < 1 or self.period_time <= 0):
            raise ValueError("canadian byo-yomi needs a period time and at least one stone")
        if self.system == "byoyomi" and (self.periods < 1 or self.period_time <= 0):
            raise ValueError("byo-yomi needs a period time and at least one period")

    @classmethod
    def from_gtp(cls, main_time: float, byo_yomi_time: float, byo_yomi_stones: int
                 ) -> "TimeControl":
        """GTP ``time_settings``: byo-yomi time 0 is absolute time, byo-yomi
        time > 0 with 0 stones means no limit, else Canadian byo-yomi."""
        if byo_yomi_time == 0:
            return cls("absolute", main_time)
        if byo_yomi_stones == 0:
            return cls("none")
        return cls("canadian", main_time, byo_yomi_time, period_stones=byo_yomi_stones)


@dataclass
class SideClock:
    """What one player has left.  ``stones`` counts the moves still due in
    the current Canadian period, or the byo-yomi periods left."""
    main_left: float = 0.0
    in_overtime: bool = False
    period_left: float = 0.0
    stones: int = 0


def moves_left_estimate(empty_points: int) -> float:
    """How many more moves one side will probably play: about 30 % of the
    empty points, never fewer than 8 (so late moves keep some time)."""
    return max(8.0, 0.3 * empty_points)


class Clock:
    """Both players' clocks under one ``TimeControl``.  ``lag`` seconds are
    kept back from absolute time and from every per-move allowance, for
    transmission, GUI overhead and the engine's own latencies (the first
    network batch of a move); but never more than ``lag_share`` of a
    per-move allowance: a fixed lag would leave nothing of a 0.5 s move
    (``time_settings 0 0.5 1``)."""

    def __init__(self, control: TimeControl | None = None, lag: float = 0.5,
                 lag_share: float = 0.5) -> None:
        self.lag = lag
        self.lag_share = lag_share
        self.set_control(control or TimeControl())

    def reserve(self, allowance: float) -> float:
        """Seconds kept back from a per-move ``allowance`` of seconds."""
        return min(self.lag, self.lag_share * max(0.0, allowance))

    def set_control(self, control: TimeControl) -> None:
        """Adopt a new time control; both clocks restart full."""
        self.control = control
        self.reset()

    def reset(self) -> None:
        """Both clocks full again (a new game)."""
        self.sides = {BLACK: self._full(), WHITE: self._full()}

    def _full(self) -> SideClock:
        c = self.control
        side = SideClock(main_left=c.main_time)
        if c.system in ("canadian", "byoyomi") and c.main_time == 0:
            self._enter_overtime(side)
        return side

    def _enter_overtime(self, side: SideClock) -> None:
        c = self.control
        side.main_left = 0.0
        side.in_overtime = True
        side.period_left = c.period_time
        side.stones = c.period_stones if c.system == "canadian" else c.periods

    def copy(self) -> "Clock":
        k = Clock(self.control, self.lag, self.lag_share)
        k.sides = {color: replace(side) for color, side in self.sides.items()}
        return k

    def side(self, color: int) -> SideClock:
        return self.sides[color]

    def time_left(self, color: int, seconds: float, stones: int) -> None:
        """GTP ``time_left``: ``stones`` 0 means ``seconds`` of main time
        left; otherwise ``seconds`` for the current period with ``stones``
        moves (Canadian) or periods (byo-yomi) to go."""
        if seconds < 0 or stones < 0 or not math.isfinite(seconds):
            raise ValueError("time left must be finite and non-negative")
        side = self.sides[color]
        system = self.control.system
        if system == "none":
            return
        if stones == 0 or system == "absolute":
            side.main_left = float(seconds)
            side.in_overtime = False
        else:
            side.main_left = 0.0
            side.in_overtime = True
            side.period_left = float(seconds)
            side.stones = int(stones)

    def charge(self, color: int, seconds: float) -> None:
        """Book ``seconds`` spent by ``color`` on one move."""
        c = self.control
        side = self.sides[color]
        if c.system == "none":
            return
        if not side.in_overtime:
            if seconds <= side.main_left or c.system == "absolute":
                side.main_left = max(0.0, side.main_left - seconds)
                return
            seconds -= side.main_left
            self._enter_overtime(side)
        if c.system == "canadian":
            side.period_left = max(0.0, side.period_left - seconds)
            side.stones -= 1
            if side.stones <= 0:
                side.period_left = c.period_time
                side.stones = c.period_stones
        else:
            # byo-yomi: a move within the period keeps it; a longer one
            # uses up one period per full period_time spent
            lost = 0 if seconds < side.period_left else 1 + int((seconds - side.period_left) // c.period_time)
            side.stones = max(0, side.stones - lost)
            side.period_left = c.period_time

    def budget(self, color: int, moves_left: float) -> float | None:
        """Seconds ``color`` may spend on its next move, or None without a
        time limit.  Main time is spread over ``moves_left`` moves; the
        overtime allowance per move comes on top of it."""
        c = self.control
        side = self.sides[color]
        if c.system == "none":
            return None
        moves_left = max(1.0, moves_left)
        if c.system == "absolute":
            return max(0.0, side.main_left - self.lag) / moves_left
        per_period_move = c.period_time / c.period_stones if c.system == "canadian" else c.period_time
        if not side.in_overtime:
            t = side.main_left / moves_left + per_period_move
        elif c.system == "canadian":
            t = side.period_left / max(1, side.stones)
        else:
            t = c.period_time
        return max(0.0, t - self.reserve(t))

    def move_budget(self, game: Game, color: int) -> float | None:
        """``budget`` with the moves left estimated from the empty points."""
        return self.budget(color, moves_left_estimate(int(game.state[H_NEMPTY])))
