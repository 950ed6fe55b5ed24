"""``tengen.review.stakes``: what a move puts at stake, read off ownership
maps on ASCII boards (a corner group that dies, a group of the opponent's
that lives, an area that changes hands, the lines disagreeing with the
search), the two lines played out, the reviewer giving every move that is
not the best a stake, the same one each time, and the stake of each
classed move in its SGF comment and in the JSON."""

import json

import numpy as np
import pytest
from review_helpers import GAME_9, centre_value, stone_ownership, tiny_config
from sgfmill import sgf

from engine.board import BLACK, WHITE
from engine.coords import parse_gtp, to_point
from engine.game import Game
from engine.sgf.read import parse_sgf
from nets.inference import Networks
from nets.score import black_leads, both_sides
from tengen.review.games import rules_for
from tengen.review.mistakes import classify
from tengen.review.reviewer import Reviewer
from tengen.review.schema import from_dict, to_dict, to_json
from tengen.review.sgf_out import annotated_sgf
from tengen.review.stakes import CHANGED, STAKE_PLIES, StakeQuery, describe, line_end, stakes
from tengen.review.text import stake_sentence


def board(rows: list[str]) -> Game:
    """A 9x9 position from rows drawn top first (``X`` Black, ``O`` White)."""
    n = len(rows)
    g = Game(n, 7.0)
    for r, row in enumerate(rows):
        for x, c in enumerate(row.split()):
            if c in "XO":
                g.play(to_point(x, n - 1 - r, n), BLACK if c == "X" else WHITE)
                g.state[2] = BLACK          # keep placing freely: the turn does not matter
    return g


def own_map(rows: list[str]) -> np.ndarray:
    """An ownership map (rows the board's y) from rows drawn top first:
    ``+`` the mover's, ``-`` the opponent's, ``.`` nobody's."""
    values = {"+": 1.0, "-": -1.0, ".": 0.0}
    return np.array([[values[c] for c in row.split()] for row in reversed(rows)])


CORNER = [". . . . . . . . .",
          ". . . . . . . . .",
          ". . . . . . . . .",
          ". . . . . . . . .",
          ". . . . . . . . .",
          ". . . . . . . . .",
          "X X X . . . . . .",
          ". . X . . . . . .",
          ". . X . . . . . ."]
BLACK_LIVES = [". . . . . . . . .",
               ". . . . . . . . .",
               ". . . . . . . . .",
               ". . . . . . . . .",
               ". . . . . . . . .",
               ". . . . . . . . .",
               "+ + + . . . . . .",
               "+ + + . . . . . .",
               "+ + + . . . . . ."]
BLACK_DIES = [row.replace("+", "-") for row in BLACK_LIVES]


def test_a_corner_group_that_dies_after_the_move_played():
    stake = describe(board(CORNER), BLACK, own_map(BLACK_LIVES), own_map(BLACK_DIES), 18.0)
    assert stake.why == "Black's corner group dies"
    assert stake.around == "B2"
    assert stake.changes == {v: 2.0 for v in ("A3", "B3", "C3", "A2", "B2", "C2", "A1", "B1",
                                              "C1")}
    assert stake_sentence(stake).startswith("gives up about 18 points around ")
    assert stake_sentence(stake).endswith(": Black's corner group dies.")


def test_the_opponents_group_that_lives_after_the_move_played():
    whites = [row.replace("X", "O") for row in CORNER]
    # Black to move: with the better line White's corner stones are dead (Black's)
    stake = describe(board(whites), BLACK, own_map(BLACK_LIVES), own_map(BLACK_DIES), 18.0)
    assert stake.why == "White's corner group lives"


def test_an_empty_area_that_changes_hands_is_named_by_where_it_is():
    empty = [". . . . . . . . ."] * 9
    side = [". . . . . . . . ."] * 3 + ["+ + . . . . . . ."] * 3 + [". . . . . . . . ."] * 3
    lost = [row.replace("+", "-") for row in side]
    # White (the mover) owns the left side after the better line, Black after the move played
    stake = describe(board(empty), WHITE, own_map(side), own_map(lost), 12.0)
    assert stake.why == "the side goes to Black" and stake.around == "A5"
    centre = [". . . . . . . . ."] * 3 + [". . . + + + . . ."] * 3 + [". . . . . . . . ."] * 3
    stake = describe(board(empty), WHITE, own_map(centre), own_map(empty), 9.0)
    assert stake.why == "White loses ground in the centre" and stake.around == "E5"


def test_when_the_move_played_does_better_by_the_lines_the_loss_is_the_opponents():
    stake = describe(board(CORNER), BLACK, own_map(BLACK_DIES), own_map(BLACK_LIVES), -18.0)
    assert stake.points == -18.0
    assert stake.changes == {v: -2.0 for v in ("A3", "B3", "C3", "A2", "B2", "C2", "A1", "B1",
                                               "C1")}
    assert stake.why == "Black's corner group lives"      # the move played saves it: White's loss
    assert stake_sentence(stake).startswith("by the search's lines it gains about 18 points")


def test_small_changes_are_not_listed_and_nothing_changing_names_no_place():
    flat = own_map([". . . . . . . . ."] * 9)
    slight = flat + (CHANGED / 2)
    stake = describe(board(CORNER), BLACK, slight, flat, 0.2)
    assert stake.changes == {} and stake.around is None and stake.why is None
    assert stake_sentence(stake) == "the two lines end about even."


def test_a_line_is_played_out_alternating_colours_up_to_its_first_illegal_move():
    g = Game(9, 7.0)
    end = line_end(g, BLACK, ["C3", "D4", "C3", "E5"])      # the second C3 is occupied
    assert end.color_at(parse_gtp("C3", 9)) == BLACK
    assert end.color_at(parse_gtp("D4", 9)) == WHITE
    assert end.color_at(parse_gtp("E5", 9)) == 0
    assert g.color_at(parse_gtp("C3", 9)) == 0                 # the game itself untouched


def test_the_stake_in_points_is_the_score_difference_of_the_two_lines_ends(tmp_path):
    cfg = tiny_config(tmp_path)
    nets = Networks(None, cfg.networks.value_model)
    before = Game(9, 7.0)
    after = before.copy()
    after.play(parse_gtp("A1", 9), BLACK)
    query = StakeQuery(before, BLACK, ["E5", "C3", "G7"], after, ["E5", "D4"])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Networks, "value_and_ownership", stone_ownership)
        mp.setattr(Networks, "value", centre_value)
        stake, = stakes(nets, [query])
        best = black_leads(nets, both_sides(line_end(before, BLACK, query.best_line)), 2)
        played = black_leads(nets, both_sides(line_end(after, WHITE, query.refutation)), 2)
    assert stake.points == pytest.approx((sum(best) - sum(played)) / 2, abs=0.05)
    # the stand-in owns exactly the stones: E5 and G7 Black's, C3 White's after the better
    # line; E5 White's, A1 and D4 Black's after the move played and its refutation
    assert stake.changes == {"E5": 2.0, "G7": 1.0, "C3": -1.0, "A1": -1.0, "D4": -1.0}
    assert stakes(nets, []) == []


def test_every_move_but_the_best_gets_a_stake_the_same_each_time(tmp_path):
    rec = parse_sgf(GAME_9, "g.sgf")
    rules = rules_for(rec, None)
    config = tiny_config(tmp_path, visits=16)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Networks, "value", centre_value)
        mp.setattr(Networks, "value_and_ownership", stone_ownership)
        first = Reviewer(config).review(rec, rules, "g", "fp")
        second = Reviewer(config).review(rec, rules, "g", "fp")
    assert any(m.stake is not None for m in first.moves)
    for m, again in zip(first.moves, second.moves):
        assert (m.stake is None) == (m.is_best or not m.best_pv)
        assert m.stake == again.stake


def test_the_sgf_comment_and_the_json_of_a_classed_move_carry_its_stake(tmp_path):
    rec = parse_sgf(GAME_9, "g.sgf")
    rules = rules_for(rec, None)
    config = tiny_config(tmp_path, visits=16, thresholds=(0.5, 1, 2))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Networks, "value", centre_value)
        mp.setattr(Networks, "value_and_ownership", stone_ownership)
        review = classify(Reviewer(config).review(rec, rules, "g", "fp"), config)
    staked = [m for m in review.moves if m.klass != "good" and m.stake is not None]
    assert staked
    game = sgf.Sgf_game.from_bytes(annotated_sgf(GAME_9, 0, review))
    nodes = [n for n in game.get_main_sequence() if n.get_move()[0]]
    for m in review.moves:
        comment = nodes[m.number - 1].get("C")
        said = f"At stake: {stake_sentence(m.stake)}" if m in staked else "At stake:"
        assert (said in comment) == (m in staked)
    back = from_dict(json.loads(to_json(review)))
    assert [m.stake for m in back.moves] == [m.stake for m in review.moves]
    assert to_dict(review)["moves"][staked[0].number - 1]["stake"]["points"] == \
        staked[0].stake.points


def test_both_lines_are_cut_to_the_same_number_of_moves_from_the_position_before(tmp_path):
    cfg = tiny_config(tmp_path)
    nets = Networks(None, cfg.networks.value_model)
    before = Game(9, 7.0)
    after = before.copy()
    after.play(parse_gtp("A1", 9), BLACK)
    long_line = StakeQuery(before, BLACK, ["E5", "C3", "G7", "G3", "C7"], after,
                           ["E5", "D4", "F4", "F6"])
    cut = StakeQuery(before, BLACK, ["E5", "C3", "G7"], after, ["E5", "D4"])
    short_refutation = StakeQuery(before, BLACK, ["E5", "C3", "G7"], after, ["E5"])
    cut_to_two = StakeQuery(before, BLACK, ["E5", "C3"], after, ["E5"])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Networks, "value_and_ownership", stone_ownership)
        mp.setattr(Networks, "value", centre_value)
        found = stakes(nets, [long_line, cut, short_refutation, cut_to_two])
    assert STAKE_PLIES == 3
    assert found[0] == found[1]            # moves past the third of each line do not count
    assert found[2] == found[3]            # a shorter refutation cuts the better line too
    assert "G7" not in found[2].changes
