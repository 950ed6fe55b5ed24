"""Openings for ``tengen match --openings``: the first moves of recorded
games, so that two engines that search deterministically do not play the
same game again and again.

Why: tengen's value-only search, given the same position and time, mostly
chooses the same move; a match between two such engines repeated one lost
game six times in 40 (BENCHMARKS.md, the fifth self-play value network).
Engine-testing practice (chess's opening books, KataGo's match openings)
starts each game from a different balanced position instead; expert games
give balanced ones.  With alternating colours each opening is played
twice, colours swapped, so neither engine gets the better side of it more
often.
"""

from dataclasses import dataclass

from engine.board import BLACK, PASS, WHITE
from engine.coords import format_gtp
from engine.rules import Rules
from engine.sgf.archive import ReadStats, iter_records
from engine.sgf.record import SGFError


@dataclass(frozen=True)
class Opening:
    """The first moves of one recorded game, as (colour, point) pairs."""
    moves: tuple[tuple[int, int], ...]
    source: str

    def describe(self, size: int) -> str:
        """``first 8 moves of tygem.zip:x.sgf (Q16 D4 ...)``"""
        text = " ".join(format_gtp(p, size) for _, p in self.moves)
        return f"first {len(self.moves)} moves of {self.source} ({text})"


def load_openings(path: str, count: int, moves: int, size: int, rules: Rules,
                  skip: int = 0) -> list[Opening]:
    """``count`` distinct openings of ``moves`` moves each, in the order of
    the games in ``path`` (an SGF file, folder or archive), after the first
    ``skip`` usable ones (so that the halves of a match run as two
    processes play different openings).

    A game is usable when it is ``size`` x ``size``, has no handicap or
    setup stones, Black moves first, its first ``moves`` moves hold no pass
    and are legal under ``rules``, and they differ from every opening taken
    before.  Unreadable or corrupt games are counted and skipped by
    ``iter_records``; only as many games are read as needed.  ValueError
    when the source holds too few usable games."""
    if count < 1 or moves < 1 or skip < 0:
        raise ValueError("openings: count and moves must be at least 1, skip at least 0")
    stats = ReadStats()
    try:
        records = iter_records(path, stats)
    except OSError as e:
        raise ValueError(f"--openings: {e}") from None
    seen: set[tuple[tuple[int, int], ...]] = set()
    found: list[Opening] = []
    for rec in records:
        if (rec.size != size or rec.setup or rec.handicap or len(rec.moves) < moves):
            continue
        first = tuple(rec.moves[:moves])
        if first in seen or any(p == PASS for _, p in first) or not _alternate(first):
            continue
        try:
            rec.to_game(rules, upto=moves)
        except SGFError:      # legal under the reader's simple ko, not under ``rules``
            continue
        seen.add(first)
        if len(seen) > skip:
            found.append(Opening(first, rec.source))
            if len(found) == count:
                return found
    raise ValueError(f"--openings {path}: {len(seen)} usable openings of {moves} moves on "
                     f"{size}x{size} (needed {skip + count}: {skip} skipped, {count} to play; "
                     f"{stats.summary()})")



def _alternate(moves: tuple[tuple[int, int], ...]) -> bool:
    """Whether ``moves`` alternate, Black first."""
    return all(c == (BLACK, WHITE)[i % 2] for i, (c, _) in enumerate(moves))
