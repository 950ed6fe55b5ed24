"""The annotated SGF: the original game tree, variations and all, with the
review on its main line.

Written with sgfmill from the original file's bytes, so that everything
the reviewer did not touch (other variations, properties, the encoding)
stays as it was.  Each move of the main line gets a comment (win rate and
score before and after, the loss, the class, the better move and its
line), a triangle (``TR``) on the better move, the standard move
annotations (``BM`` for mistakes and blunders, ``DO`` for inaccuracies),
and the better move's line as a variation beside the move played for every
classed move.  Each node of the main line carries Black's win rate in
Sabaki's ``SBKV`` (percent, two decimals, the position after the node's
move: SabakiHQ/Sabaki issue 479), from which Sabaki draws its graph.
"""

from sgfmill import sgf, sgf_grammar

from engine.coords import format_sgf, parse_gtp

from .schema import GameReview, MoveReview
from .text import move_comment, pct, summary_comment


def _append_comment(node: sgf.Tree_node, text: str) -> None:
    old = node.get("C") if node.has_property("C") else ""
    node.set("C", f"{old}\n\n{text}" if old else text)


def _sgf_point(vertex: str, n: int) -> bytes:
    return format_sgf(parse_gtp(vertex, n), n).encode()


def _add_line(parent: sgf.Tree_node, m: MoveReview, n: int) -> None:
    """The better move and its line as a new variation under ``parent``."""
    color = m.color
    node = parent
    for k, vertex in enumerate(m.best_pv):
        node = node.new_child()
        node.set_raw(color, _sgf_point(vertex, n))
        if k == 0:
            node.set("C", f"tengen: better than {m.move} (move {m.number}): "
                          f"win rate {pct(m.winrate_before)} for {m.color}")
        color = "W" if color == "B" else "B"


def annotated_sgf(data: bytes, index: int, review: GameReview) -> bytes:
    """The SGF file ``data``'s game ``index`` with ``review`` on its main
    line; the other games of a collection are left out.  ValueError when
    the main line does not hold the review's moves."""
    trees = sgf_grammar.parse_sgf_collection(data)
    game = sgf.Sgf_game.from_coarse_game_tree(trees[index])
    n = review.size
    nodes = game.get_main_sequence()
    root = nodes[0]
    move_nodes = [nd for nd in nodes if nd.has_property("B") or nd.has_property("W")]
    if len(move_nodes) != len(review.moves):
        raise ValueError(f"{review.source}: {len(move_nodes)} moves in the file, "
                         f"{len(review.moves)} reviewed")
    _append_comment(root, summary_comment(review))
    root.set_raw("SBKV", f"{100 * review.positions[0].winrate_black:.2f}".encode())
    for node, m, pos in zip(move_nodes, review.moves, review.positions[1:]):
        _append_comment(node, move_comment(m))
        node.set_raw("SBKV", f"{100 * pos.winrate_black:.2f}".encode())
        if m.klass in ("mistake", "blunder"):
            node.set_raw("BM", b"2" if m.klass == "blunder" else b"1")
        elif m.klass == "inaccuracy":
            node.set_raw("DO", b"")
        if not m.is_best and m.best_move != "pass":
            node.set_raw_list("TR", [_sgf_point(m.best_move, n)])
            if m.klass != "good" and m.best_pv and node.parent is not None:
                _add_line(node.parent, m, n)
    return game.serialise()
