"""mcts.player and mcts.timing: the tree-search player's moves (legal,
superko included), its pass and resign rules, and how long it thinks.

Networks are either tiny random-weight model files (the real loading path)
or ``FakeNets``, whose policy and value the test dictates, so that "the
best-looking move" is whatever the test says it is."""

import time

import numpy as np
import pytest
from gtp_helpers import save_tiny_models
from virtual_time import virtual_time

from engine.ascii import from_ascii
from engine.board import BLACK, PASS, WHITE
from engine.clock import Clock, TimeControl
from engine.coords import parse_gtp
from engine.game import Game
from engine.moves import RESIGN
from engine.rules import Rules
from mcts.config import PlayConfig, SearchConfig
from mcts.player import SearchPlayer
from mcts.search import Search, lcb
from mcts.timing import max_move_time, plan_move
from nets.config import NetworkConfig

POSITIONAL = Rules("positional", "positional", False, "area")
SIMPLE = Rules("simple", "simple", False, "area")


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    """(policy path, value path): random networks of width 8."""
    return save_tiny_models(tmp_path_factory.mktemp("models"), seed=0)


class FakeNets:
    """Networks for ``Search``: the policy puts almost all its mass on
    ``favourite`` (a policy index; None: uniform), and the value is
    ``value_black`` from Black's point of view whoever is to move.
    ``delay`` seconds of ``clock`` (a ``VirtualTime``) pass per value call,
    a realistic visit rate whatever the machine's load."""

    has_value = True

    def __init__(self, n, favourite=None, value_black=0.0, delay=0.0, clock=None):
        self.n, self.favourite, self.value_black, self.delay = n, favourite, value_black, delay
        self.clock = clock

    def policy(self, planes):
        p = np.full((len(planes), self.n * self.n + 1), 1.0, np.float32)
        if self.favourite is not None:
            p[:] = 1e-4
            p[:, self.favourite] = 1.0
        return p / p.sum(axis=1, keepdims=True)

    def value(self, planes):
        if self.delay:
            self.clock.advance(self.delay)
        black_to_move = planes[:, 48, 0, 0] == 1          # the player-colour plane
        return np.where(black_to_move, self.value_black, -self.value_black).astype(np.float32)


def fake_player(nets, play=None, **search):
    player = SearchPlayer(NetworkConfig(), SearchConfig(seed=1, **{"visits": 64, **search}),
                          play or PlayConfig(resign_threshold=0.0))
    player.search = Search(nets, player.search_config)
    return player


def index(vertex, n):
    p = parse_gtp(vertex, n)
    return (p // (n + 2) - 1) * n + p % (n + 2) - 1


# ---- legality ----------------------------------------------------------------

def test_genmove_plays_legal_moves_through_a_game(tiny_models):
    """Both sides played by the search on 9x9: every move is legal
    (Game.play raises otherwise) and never fills the mover's own eye."""
    from engine.board import is_eye

    pol, val = tiny_models
    player = SearchPlayer(NetworkConfig(pol, val, threads=1), SearchConfig(seed=3, visits=24),
                          PlayConfig(resign_threshold=0.0))
    game = Game(9, 7.5)
    for _ in range(30):
        c = game.to_move
        move = player.genmove(game, c, Clock())
        assert move != RESIGN
        assert move == PASS or not is_eye(game.state, move, c)
        game.play(move, c)
        player.played(game, c, move)
        if game.is_over:
            break
    assert len(game.moves) >= 10


# Sending two, returning one (tests/test_game_superko.py): after Black C1 and
# White A1 (capturing two), Black B1 would repeat the position.
SENDING_TWO = """
    . . . . .
    . . . . .
    X . . . .
    X O O . .
    . X . O .
"""


@pytest.mark.parametrize("rules, repeats", [(POSITIONAL, False), (SIMPLE, True)])
def test_a_superko_violation_is_never_played_however_good_it_looks(rules, repeats):
    game = from_ascii(SENDING_TWO, BLACK, rules=rules)
    game.play(parse_gtp("C1", 5))
    game.play(parse_gtp("A1", 5))
    b1 = parse_gtp("B1", 5)
    player = fake_player(FakeNets(5, favourite=index("B1", 5)))
    move = player.genmove(game, BLACK, Clock())
    # under simple ko the retake is legal and the policy's favourite;
    # under positional superko the search must find something else
    assert (move == b1) == repeats
    assert game.legal(move, BLACK)


def test_genmove_for_the_side_not_to_move_gets_its_own_tree(tiny_models):
    """GTP allows ``genmove w`` with Black to move: the answer is a legal
    White move, and the next Black search does not reuse White's tree."""
    pol, val = tiny_models
    player = SearchPlayer(NetworkConfig(pol, val, threads=1), SearchConfig(seed=1, visits=32),
                          PlayConfig(resign_threshold=0.0))
    game = Game(9)
    game.play(parse_gtp("E5", 9))
    game.play(parse_gtp("D4", 9))
    w = player.genmove(game, WHITE, Clock())          # Black is to move
    assert game.legal(w, WHITE)
    assert player.search.tree.tomove[0] == WHITE
    b = player.genmove(game, BLACK, Clock())
    assert game.legal(b, BLACK) and player.search.tree.tomove[0] == BLACK


# ---- passing and resigning -------------------------------------------------------

# Black owns columns A-C (15 points), White D-E (10): Black leads by 5
# before komi.
HALVES = """
    . . X O .
    . . X O .
    . . X O .
    . . X O .
    . . X O .
"""


def test_passes_after_the_opponents_pass_when_the_area_count_wins():
    game = from_ascii(HALVES, WHITE, komi=0.5)
    game.play(PASS, WHITE)
    # the search (favouring E3, a white point) is not even asked
    player = fake_player(FakeNets(5, favourite=index("B3", 5), value_black=-1.0))
    assert player.genmove(game, BLACK, Clock()) == PASS


def test_never_passes_into_a_loss():
    """Same board, komi 7.5: passing after White's pass loses by 2.5.  The
    policy wants to pass and every line looks lost, yet Black plays on."""
    game = from_ascii(HALVES, WHITE, komi=7.5)
    game.play(PASS, WHITE)
    player = fake_player(FakeNets(5, favourite=5 * 5, value_black=-1.0))
    move = player.genmove(game, BLACK, Clock())
    assert move != PASS and game.legal(move, BLACK)
    # without White's pass, passing ends nothing: the policy's pass stands
    game = from_ascii(HALVES, BLACK, komi=7.5)
    assert player.genmove(game, BLACK, Clock()) == PASS


def test_cleanup_does_not_pass_while_dead_stones_remain():
    """White's B4 is dead.  The area count (which counts it alive: Black
    has column C only, White 11 points) wins for Black thanks to a komi
    of -6.5, so a normal genmove passes after White's pass; a cleanup
    plays on, though the policy wants to pass."""
    game = from_ascii("""
        . . X O .
        . O X O .
        . . X O .
        . . X O .
        . . X O .
    """, WHITE, komi=-6.5)
    game.play(PASS, WHITE)
    player = fake_player(FakeNets(5, favourite=5 * 5, value_black=-1.0))
    move = player.genmove(game, BLACK, Clock(), cleanup=True)
    assert move != PASS and game.legal(move, BLACK)
    assert player.genmove(game, BLACK, Clock()) == PASS    # not a cleanup: the count wins


def test_resigns_after_consecutive_hopeless_moves_only():
    game = Game(9)
    hopeless = FakeNets(9, value_black=-1.0)
    player = fake_player(hopeless, PlayConfig(resign_threshold=0.1))
    moves = [player.genmove(game, BLACK, Clock()) for _ in range(3)]
    assert RESIGN not in moves[:2] and moves[2] == RESIGN
    assert player.genmove(game, BLACK, Clock(), cleanup=True) != RESIGN
    never = fake_player(hopeless, PlayConfig(resign_threshold=0.0))
    assert RESIGN not in [never.genmove(game, BLACK, Clock()) for _ in range(4)]
    # a position that is not hopeless resets the count
    player = fake_player(hopeless, PlayConfig(resign_threshold=0.1))
    player.genmove(game, BLACK, Clock())
    player.genmove(game, BLACK, Clock())
    player.search = Search(FakeNets(9, value_black=0.5), player.search_config)
    assert player.genmove(game, BLACK, Clock()) != RESIGN


# ---- options -----------------------------------------------------------------------

def test_search_options_resolve_rollouts_and_lambda():
    cfg = SearchConfig(visits=50, batch_size=4)
    assert (cfg.visits, cfg.batch_size, cfg.with_rollouts, cfg.leaf_lambda) == (50, 4, False, 1.0)
    cfg = SearchConfig(rollouts=True)
    assert cfg.with_rollouts and cfg.leaf_lambda == 0.5     # AlphaGo's mix
    cfg = SearchConfig(rollouts=False)
    assert not cfg.with_rollouts and cfg.leaf_lambda == 1.0
    cfg = SearchConfig(lam=1.0)
    assert not cfg.with_rollouts and cfg.leaf_lambda == 1.0
    cfg = SearchConfig(lam=0.25)
    assert cfg.with_rollouts and cfg.leaf_lambda == 0.25
    assert SearchConfig(expand_threshold=3).expand_threshold == 3
    default = SearchConfig()                                          # the player's defaults
    assert (default.with_rollouts, default.leaf_lambda) == (False, 1.0)
    for bad in (dict(lam=0.5, rollouts=False), dict(lam=1.5), dict(visits=0),
                dict(batch_size=0), dict(expand_threshold=0)):
        with pytest.raises(ValueError):
            SearchConfig(**bad)
    with pytest.raises(ValueError):
        PlayConfig(resign_threshold=0.5)


# ---- time ----------------------------------------------------------------------------

def test_time_plans_stay_within_what_the_clock_allows():
    game = Game(9)
    clocks = [Clock(TimeControl("absolute", 60)),
              Clock(TimeControl("canadian", 0, 10, period_stones=1)),
              Clock(TimeControl("canadian", 0, 30, period_stones=5)),
              Clock(TimeControl("byoyomi", 0, 5, periods=3)),
              Clock(TimeControl("byoyomi", 20, 5, periods=1))]
    for clock in clocks:
        plan = plan_move(clock, game, BLACK, 2.0)
        cap = max_move_time(clock, BLACK)
        assert 0 < plan.soft <= plan.hard <= cap
        assert plan.soft <= clock.move_budget(game, BLACK)
    # a byo-yomi period can be spent but never exceeded; the usual move
    # takes half of it so that clear moves leave time for unclear ones
    plan = plan_move(clocks[3], game, BLACK, 2.0)
    assert plan.hard == pytest.approx(5 - 0.5) and plan.soft == pytest.approx(plan.hard / 2)
    # absolute time: twice the share of the main time at most
    plan = plan_move(clocks[0], game, BLACK, 2.0)
    assert plan.hard == pytest.approx(2 * plan.soft)
    assert plan_move(Clock(), game, BLACK) is None and max_move_time(Clock(), BLACK) is None



def test_a_short_canadian_period_leaves_every_stone_time_to_search():
    """time_settings 0 2 4: four moves in 2 s (a fixed 0.5 s lag a stone
    would leave the first nothing).  The first may take what the three after
    it do not need for their own lag reserve, and each of them still gets
    half of its share."""
    clock = Clock(TimeControl.from_gtp(0, 2, 4), lag=0.5)
    cap = max_move_time(clock, BLACK)
    assert cap == pytest.approx(2 - 3 * 0.25 - 0.5)
    for _ in range(3):
        clock.charge(BLACK, clock.budget(BLACK, 50))
    assert clock.side(BLACK).stones == 1
    left = clock.side(BLACK).period_left
    assert clock.budget(BLACK, 50) == pytest.approx(left - min(0.5, left / 2))
    assert clock.budget(BLACK, 50) > 0.25

# The time below is virtual (``tests/virtual_time.py``): it passes only in the
# stand-in networks' value calls, so each limit is checked exactly.

def _timed_genmove(nets, clock, started=None):
    player = fake_player(nets, visits=None)
    player.prepare(Game(9))
    t0 = time.perf_counter()
    move = player.genmove(Game(9), BLACK, clock, started=started)
    return move, time.perf_counter() - t0, player


def test_unclear_moves_get_more_time_than_clear_ones(monkeypatch):
    """Absolute time: the usual budget is 10 s over ~24 moves left (0.41 s)
    and an unclear move may take twice that.  A move the policy is sure of
    stops once it cannot be overtaken; an even choice runs to the limit."""
    now = virtual_time(monkeypatch)
    clock = Clock(TimeControl("absolute", 10), lag=0)
    plan = plan_move(clock, Game(9), BLACK, 2.0)
    _, clear, _ = _timed_genmove(FakeNets(9, favourite=index("E5", 9), delay=0.002, clock=now),
                                 clock)
    _, unclear, player = _timed_genmove(FakeNets(9, delay=0.002, clock=now), clock)
    assert clear < plan.soft
    assert plan.soft < unclear < plan.hard + 0.3
    assert clear < unclear / 2
    assert player.search.visits_done > 0


def test_time_spent_before_the_search_counts_against_the_clock(monkeypatch):
    """A move asked for 10 s ago (loading the networks, say) under a 5 s
    byo-yomi must not search at all -- and still not pass on an empty
    board: it plays the policy's favourite."""
    now = virtual_time(monkeypatch)
    clock = Clock(TimeControl("byoyomi", 0, 5, periods=1))
    nets = FakeNets(9, favourite=index("C3", 9), delay=0.002, clock=now)
    move, elapsed, player = _timed_genmove(nets, clock, started=time.perf_counter() - 10)
    assert move == parse_gtp("C3", 9)
    assert elapsed < 0.5 and player.search.visits_done == 0


def test_time_per_move_without_a_clock(monkeypatch):
    now = virtual_time(monkeypatch)
    player = fake_player(FakeNets(9, delay=0.002, clock=now),
                         PlayConfig(time_per_move=0.3, resign_threshold=0.0), visits=None)
    player.prepare(Game(9))
    t0 = time.perf_counter()
    player.genmove(Game(9), BLACK, Clock())
    assert 0.2 < time.perf_counter() - t0 < 0.6
    # visits given too: whichever comes first
    player = fake_player(FakeNets(9, delay=0.002, clock=now),
                         PlayConfig(time_per_move=30, resign_threshold=0.0), visits=40)
    t0 = time.perf_counter()
    player.genmove(Game(9), BLACK, Clock())
    assert time.perf_counter() - t0 < 5 and player.search.visits_done <= 40


def test_a_board_size_with_networks_of_its_own_plays_with_them(tmp_path, monkeypatch):
    """``tengen/models/9x9/`` holds networks for 9x9: with no file named on the
    command line, a 9x9 game loads them and a 13x13 game the default ones,
    and the player switches when the board size changes."""
    import nets.config as nc

    default = tmp_path / "models"
    nine = default / "9x9"
    nine.mkdir(parents=True)
    save_tiny_models(default, seed=1)
    save_tiny_models(nine, seed=2)
    monkeypatch.setattr(nc, "MODELS_DIR", default)
    cfg = NetworkConfig(threads=1)
    assert cfg.policy_path(9) == nine / "policy.safetensors"
    assert cfg.policy_path(13) == default / "policy.safetensors"
    assert cfg.value_path(9) == nine / "value.safetensors"
    assert NetworkConfig(policy_model="mine.safetensors").policy_path(9).name == "mine.safetensors"
    player = SearchPlayer(cfg, SearchConfig(visits=16, seed=1), PlayConfig(resign_threshold=0.0))
    for size, folder in ((9, nine), (13, default), (9, nine)):
        game = Game(size)
        move = player.genmove(game, BLACK, Clock())
        assert game.legal(move, BLACK)
        assert player.search.nets.policy_path == folder / "policy.safetensors"
        assert player.search.nets.value_path == folder / "value.safetensors"


# ---- choosing among the searched moves ------------------------------------------------

def test_the_seed_varies_the_opening_among_moves_the_search_cannot_tell_apart():
    """A uniform policy and an even value leave many moves within noise of
    the best on an empty board: different seeds play different openings,
    the same seed the same one, and without variety the most visited."""
    def first_move(seed, **play):
        player = SearchPlayer(NetworkConfig(), SearchConfig(seed=seed, visits=64),
                              PlayConfig(resign_threshold=0.0, **play))
        player.search = Search(FakeNets(9), player.search_config)
        return player.genmove(Game(9), BLACK, Clock()), player
    moves = {first_move(seed)[0] for seed in range(8)}
    assert len(moves) > 1
    assert first_move(3)[0] == first_move(3)[0]
    move, player = first_move(3, vary_moves=0)
    assert move == player.search.root_stats()[0].move


def test_past_the_opening_the_most_visited_move_is_played():
    player = SearchPlayer(NetworkConfig(), SearchConfig(seed=1, visits=64),
                          PlayConfig(resign_threshold=0.0))
    player.search = Search(FakeNets(9), player.search_config)
    game = Game(9)
    for vertex in ("E5", "D4", "C3", "F6", "G7", "B2", "H8"):   # 7 > 81 // 12 moves
        game.play(parse_gtp(vertex, 9))
    move = player.genmove(game, game.to_move, Clock())
    assert move == player.search.root_stats()[0].move


def test_the_lcb_choice_plays_the_best_lower_bound():
    player = fake_player(FakeNets(9, value_black=0.2), PlayConfig(resign_threshold=0.0,
                                                                  choose_by="lcb", vary_moves=0))
    game = Game(9)
    move = player.genmove(game, BLACK, Clock())
    stats = player.search.root_stats()
    floor = max(1, 0.1 * stats[0].visits)
    assert move == max((s for s in stats if s.visits >= floor), key=lcb).move
