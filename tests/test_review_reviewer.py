"""analysis.review: every position searched, the figures taken from the
search itself, the score estimate's frames, and the games the review must
read (handicap, setup, passes, odd sizes)."""

import numpy as np
import pytest
from review_helpers import GAME_9, HANDICAP_9, PASSES_5, tiny_config

from tengen.review.games import rules_for
from tengen.review.reviewer import SAME_SEARCH_VISITS, Reviewer, last_mover_bias, phase_of
from engine.board import BLACK
from engine.coords import format_gtp
from engine.sgf.read import parse_sgf


class RecordingReviewer(Reviewer):
    """A Reviewer that keeps what the search said at every position."""

    def __init__(self, config):
        super().__init__(config)
        self.seen = []

    def search(self, game, color):
        search = super().search(game, color)
        self.seen.append((color, search.root_stats(12), search.root_visits()))
        return search


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("review")
    rec = parse_sgf(GAME_9, "game9.sgf")
    reviewer = RecordingReviewer(tiny_config(tmp))
    review = reviewer.review(rec, rules_for(rec, None), "game9", "fp")
    return rec, reviewer, review


def test_every_main_line_position_is_searched_once(reviewed):
    rec, reviewer, review = reviewed
    assert len(rec.moves) == 10                     # the main line, not the variation
    assert len(reviewer.seen) == len(rec.moves) + 1
    assert [m.move for m in review.moves] == [format_gtp(p, 9) for _, p in rec.moves]
    assert all(visits >= 24 for _, _, visits in reviewer.seen)


def test_the_figures_of_a_move_are_the_searchs_own(reviewed):
    rec, reviewer, review = reviewed
    for i, m in enumerate(review.moves):
        color, stats, visits = reviewer.seen[i]
        _, after, _ = reviewer.seen[i + 1]
        assert m.color == "BW"[color - 1]
        assert m.best_move == format_gtp(stats[0].move, 9)
        assert m.best_pv == [format_gtp(p, 9) for p in stats[0].pv]
        assert m.winrate_before == pytest.approx(stats[0].winrate)
        played = next(s for s in stats if format_gtp(s.move, 9) == m.move)
        if played.visits >= SAME_SEARCH_VISITS:
            # read in the same search: the best move's win rate less the played
            # move's, nothing for the best move, never below nothing
            expected = stats[0].winrate if m.is_best else min(stats[0].winrate, played.winrate)
            assert m.winrate_after == pytest.approx(expected)
        else:
            # the next position is seen by the opponent: the mover's win rate is the rest
            assert m.winrate_after == pytest.approx(1 - after[0].winrate)
        assert m.winrate_loss >= 0 or played.visits < SAME_SEARCH_VISITS
        assert m.visits == visits
        assert m.played_visits == played.visits
        assert m.policy_prior == pytest.approx(played.prior)
        assert m.policy_rank == 1 + sum(s.prior > played.prior for s in stats)
        assert [c.move for c in m.candidates] == [format_gtp(s.move, 9) for s in stats[:5]
                                                  if s.visits > 0]
        assert m.refutation == [format_gtp(p, 9) for p in after[0].pv]


@pytest.mark.parametrize("played_move, played_visits, played_winrate, loss", [
    ("E5", 40, 0.50, 0.10),     # read by the search: the best's win rate less the played's
    ("E5", 9, 0.50, -0.10),     # barely looked at: against the next position's search
    ("D4", 100, 0.60, 0.0),     # the best move loses nothing
    ("E5", 40, 0.65, 0.0),      # better by a less visited reading: the search preferred its best
])
def test_a_moves_loss_is_read_in_the_same_search_where_it_read_the_move(
        tmp_path, played_move, played_visits, played_winrate, loss):
    from engine.coords import parse_gtp
    from engine.game import Game
    from mcts.search import MoveStats
    from tengen.review.reviewer import _Seen
    reviewer = Reviewer(tiny_config(tmp_path))
    game = Game(9)
    reviewer.positions.ensure(9)

    def stat(vertex, visits, wr):
        return MoveStats(parse_gtp(vertex, 9), visits, 2 * wr - 1, 0.1, [parse_gtp(vertex, 9)])
    stats = [stat("D4", 100, 0.60)]
    if played_move != "D4":
        stats.append(stat(played_move, played_visits, played_winrate))
    before = _Seen(game, BLACK, 0.60, 200, stats)
    after = _Seen(game, 3 - BLACK, 0.30, 200, [stat("C3", 150, 0.30)])   # White's view: 0.7 Black's
    m = reviewer._move(0, BLACK, parse_gtp(played_move, 9), before, after, 9)
    assert m.winrate_before == pytest.approx(0.60)
    assert m.winrate_loss == pytest.approx(loss)


def test_positions_carry_blacks_win_rate(reviewed):
    _, reviewer, review = reviewed
    for pos, (color, stats, _) in zip(review.positions, reviewer.seen):
        expected = stats[0].winrate if color == BLACK else 1 - stats[0].winrate
        assert pos.winrate_black == pytest.approx(expected)
        assert pos.to_move == "BW"[color - 1]


def test_the_game_information_comes_from_the_file(reviewed):
    _, _, review = reviewed
    g = review.game
    assert (g["size"], g["komi"], g["rules"], g["black"], g["white"], g["result"]) == \
        (9, 7.0, "japanese", "Alice", "Bob", "B+R")


def fake_ownership(planes, symmetries=1):
    """Ownership +1 on the mover's stones, -1 on the opponent's (planes 0 and
    1), and five points' worth spread over the board for the side to move:
    the bias the shipped network shows, which the review must cancel.  The
    same under every symmetry, so averaging over ``symmetries`` changes
    nothing."""
    own = planes[:, 0].astype(np.float32) - planes[:, 1].astype(np.float32)
    own += 5.0 / (own.shape[1] * own.shape[2])
    return np.zeros(len(planes), np.float32), own


def test_the_score_lead_counts_ownership_less_komi_and_cancels_the_movers_bias(tmp_path):
    rec = parse_sgf(HANDICAP_9, "handicap.sgf")
    reviewer = Reviewer(tiny_config(tmp_path, visits=8))
    reviewer.positions.ensure().nets.value_and_ownership = fake_ownership
    review = reviewer.review(rec, rules_for(rec, None), "h", "fp")
    # Black's lead is (black stones - white stones) - komi 0.5 whoever is to move,
    # then the last mover's stone (+-0.5 along the game here) taken out as a bias
    raw = [1.5, 0.5, 1.5, 0.5, 1.5]
    bias = last_mover_bias(raw, [0, -1, 1, -1, 1])             # White moves first
    assert bias == pytest.approx(0.5)
    assert [p.score_black for p in review.positions] == pytest.approx([1.5, 1.0, 1.0, 1.0, 1.0])
    for m in review.moves:
        sign = 1 if m.color == "B" else -1
        assert m.score_after == pytest.approx(sign * review.positions[m.number].score_black)
        # lost: the best move played instead (a stone of the mover, or a pass) against the
        # move played, both with the opponent to move: the bias cancels
        assert m.score_loss == pytest.approx(-1.0 if m.best_move == "pass" else 0.0, abs=1e-5)
        if m.is_best:
            assert m.score_loss == 0.0


def test_the_last_movers_bias_is_what_alternates_around_the_games_course():
    course = [0.1 * k * k for k in range(12)]                  # any smooth course
    signs = [0] + [1, -1] * 5 + [1]
    biased = [c + 2.5 * s for c, s in zip(course, signs)]
    assert last_mover_bias(biased, signs) == pytest.approx(2.5, abs=0.01)
    assert last_mover_bias(course, signs) == pytest.approx(0.0, abs=0.01)
    assert last_mover_bias([1.0, 2.0], [0, 1]) == 0.0          # nothing to measure


def test_handicap_and_setup_stones_are_on_the_board_before_white_moves(tmp_path):
    rec = parse_sgf(HANDICAP_9, "handicap.sgf")
    review = Reviewer(tiny_config(tmp_path, visits=8)).review(rec, rules_for(rec, None), "h", "f")
    assert review.game["setup"] == {"B": ["C7", "G3"], "W": []}
    assert review.game["handicap"] == 2 and review.game["first_to_move"] == "W"
    assert review.positions[0].to_move == "W"
    assert "C7" not in [c.move for c in review.moves[0].candidates]    # occupied


def test_a_game_ended_by_two_passes_is_scored_and_has_no_result(tmp_path):
    rec = parse_sgf(PASSES_5, "passes.sgf")
    reviewer = RecordingReviewer(tiny_config(tmp_path, visits=8))
    review = reviewer.review(rec, rules_for(rec, None), "p", "f")
    assert review.game["result"] is None
    assert len(reviewer.seen) == len(rec.moves)          # the final position is not searched
    last = review.positions[-1]
    assert last.visits == 0 and last.winrate_black in (0.0, 0.5, 1.0)
    assert review.moves[-1].move == "pass"


@pytest.mark.parametrize("size", [2, 25])
def test_the_smallest_and_largest_boards_are_reviewed(tmp_path, size):
    far = "abcdefghijklmnopqrstuvwxy"[size - 1]
    data = f"(;GM[1]FF[4]SZ[{size}]KM[0.5];B[aa];W[{far}{far}])".encode()
    rec = parse_sgf(data, f"s{size}.sgf")
    review = Reviewer(tiny_config(tmp_path, visits=4)).review(rec, rules_for(rec, None), "s", "f")
    assert len(review.moves) == 2 and len(review.positions) == 3
    assert review.moves[0].move == f"A{size}"


def test_two_moves_of_one_colour_in_a_row_are_searched_for_that_colour(tmp_path):
    rec = parse_sgf(b"(;GM[1]FF[4]SZ[9]KM[7];B[ee];B[cc];W[gg])", "twice.sgf")
    reviewer = RecordingReviewer(tiny_config(tmp_path, visits=8))
    review = reviewer.review(rec, rules_for(rec, None), "t", "f")
    assert [c for c, _, _ in reviewer.seen[:3]] == [1, 1, 2]
    assert [m.color for m in review.moves] == ["B", "B", "W"]


def test_the_phases_scale_with_the_board():
    assert [phase_of(k, 19) for k in (1, 50, 51, 150, 151)] == \
        ["opening", "opening", "middle", "middle", "endgame"]
    assert [phase_of(k, 9) for k in (11, 12, 33, 34)] == ["opening", "middle", "middle", "endgame"]


class RecheckRecorder(Reviewer):
    """Keeps every search the second pass makes (``root_moves`` given)."""

    def __init__(self, config):
        super().__init__(config)
        self.rechecks = []
        analyse = self.positions.analyse

        def recording(game, color=None, visits=None, root_moves=None, **kw):
            search = analyse(game, color, visits=visits, root_moves=root_moves, **kw)
            if root_moves is not None:
                self.rechecks.append((game.state[:].copy(), color, list(root_moves), visits,
                                      search.root_stats(1)))
            return search
        self.positions.analyse = recording


def test_the_second_pass_searches_the_biggest_losses_again_better_move_and_played_alone(tmp_path):
    from engine.coords import parse_gtp
    rec = parse_sgf(GAME_9, "game9.sgf")
    first = Reviewer(tiny_config(tmp_path)).review(rec, rules_for(rec, None), "game9", "fp")
    reviewer = RecheckRecorder(tiny_config(tmp_path, recheck=3, recheck_visits=40))
    review = reviewer.review(rec, rules_for(rec, None), "game9", "fp")
    expected = sorted((m for m in first.moves if not m.is_best),
                      key=lambda m: (-m.winrate_loss, m.number))[:3]
    moves = {m.number: m for m in review.moves}
    assert {m.number for m in review.moves if m.recheck_visits is not None} == \
        {m.number for m in expected}
    assert len(reviewer.rechecks) == 6           # the biggest loss first
    for number, best, played in zip([m.number for m in expected], reviewer.rechecks[::2],
                                    reviewer.rechecks[1::2]):
        m = moves[number]
        assert m.recheck_visits == 40
        assert best[2] == [parse_gtp(m.best_move, 9)] and played[2] == [parse_gtp(m.move, 9)]
        assert best[1] == played[1] == (BLACK if m.color == "B" else 3 - BLACK)
        assert best[3] == played[3] == 40
        # each alone at the root, with the visits asked for, and its win rate the move's
        assert [s.move for s in best[4] if s.visits] == best[2]
        assert [s.move for s in played[4] if s.visits] == played[2]
        assert best[4][0].visits >= 39 and played[4][0].visits >= 39
        assert m.winrate_before == pytest.approx(best[4][0].winrate)
        assert m.winrate_after == pytest.approx(played[4][0].winrate)
    untouched = [m for m in review.moves if m.recheck_visits is None]
    by_number = {m.number: m for m in first.moves}
    for m in untouched:
        assert m.winrate_before == pytest.approx(by_number[m.number].winrate_before)
        assert m.winrate_after == pytest.approx(by_number[m.number].winrate_after)
