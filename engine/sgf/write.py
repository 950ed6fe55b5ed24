"""Writing a game as SGF FF[4] (through ``sgfmill.sgf.Sgf_game``)."""

import os
from collections.abc import Mapping, Sequence
from typing import Any

import sgfmill.sgf
from sgfmill import sgf_grammar

from tengen.base.files import atomic_write

from ..board import BLACK, WHITE
from ..colors import COLOR_LETTERS
from ..coords import format_sgf
from ..game import Game
from .record import INTERPRETED

_RU_NAMES = {"chinese": "Chinese", "japanese": "Japanese", "korean": "Korean",
             "aga": "AGA", "new-zealand": "NZ", "tromp-taylor": "Tromp-Taylor"}


def _escaped(text: object) -> bytes:
    return sgf_grammar.escape_text(str(text).encode("utf-8"))


def game_to_sgf(game: Game, comments: Sequence[str | None] | None = None,
                properties: Mapping[str, str | Sequence[str]] | None = None,
                result: str | None = None, root_comment: str | None = None) -> str:
    """The game (setup, komi, handicap, moves with passes) as SGF FF[4] text.

    ``comments``: one entry per move (None for none; may be shorter than
    the game).  ``properties``: more root properties, {ident: [text, ...]}
    (a plain str counts as one value), e.g. a record's ``properties``; the
    ones this function writes itself (SZ, KM, HA, RE, AB, AW, PL, ...) are
    refused.  ``RU`` is written from ``game.rules`` unless given.
    ``result``: the RE value (nothing is written when None)."""
    n = game.size
    props = dict(properties or {})
    clash = sorted(k for k in props if k in INTERPRETED)
    if clash:
        raise ValueError(f"properties {', '.join(clash)} are written from the game itself")
    if comments is not None and len(comments) > len(game.moves):
        raise ValueError(f"{len(comments)} comments for {len(game.moves)} moves")
    sg = sgfmill.sgf.Sgf_game(n)          # FF[4] GM[1] SZ CA[UTF-8]
    root = sg.get_root()
    root.set("KM", float(game.komi))
    if game.handicap:
        root.set("HA", int(game.handicap))
    if result is not None:
        root.set_raw("RE", _escaped(result))
    if "RU" not in props and game.rules.name in _RU_NAMES:
        props["RU"] = [_RU_NAMES[game.rules.name]]
    for ident, colour in (("AB", BLACK), ("AW", WHITE)):
        pts = sorted(format_sgf(p, n).encode() for p, c in game.setup.items() if c == colour)
        if pts:
            root.set_raw_list(ident, pts)
    if game.setup or game.first_to_move != BLACK:
        root.set_raw("PL", COLOR_LETTERS[game.first_to_move].encode())
    for ident, values in props.items():
        if isinstance(values, str):
            values = [values]
        root.set_raw_list(ident, [_escaped(v) for v in values])
    if root_comment:
        root.set_raw("C", _escaped(root_comment))
    node = root
    for i, (c, p) in enumerate(game.moves):
        node = node.new_child()
        node.set_raw(COLOR_LETTERS[c], format_sgf(p, n).encode())
        if comments is not None and i < len(comments) and comments[i]:
            node.set_raw("C", _escaped(comments[i]))
    return sg.serialise().decode("utf-8")


def save_sgf(game: Game, path: str | os.PathLike[str], **kw: Any) -> None:
    """Write ``game_to_sgf(game, **kw)`` to ``path`` atomically
    (``tengen.base.files.atomic_write``): a reader never sees half a file and a
    crash never leaves one."""
    text = game_to_sgf(game, **kw)
    with atomic_write(path, "w") as f:
        f.write(text)
