"""engine.player: the random player and the player interface's defaults."""

from engine.ascii import from_ascii
from engine.board import BLACK, PASS, WHITE, is_eye
from engine.clock import Clock
from engine.coords import parse_gtp
from engine.game import Game
from engine.moves import RESIGN
from engine.player import Player, RandomPlayer
from tengen.gtp.analysis_commands import player_commands


def test_random_games_are_legal_and_end():
    """Random against random on 9x9: every move legal (Game.play raises
    otherwise), no own eye ever filled, and the game ends by two passes."""
    for seed in (1, 2):
        game = Game(9)
        players = {BLACK: RandomPlayer(seed), WHITE: RandomPlayer(seed + 10)}
        clock = Clock()
        while not game.is_over:
            assert len(game.moves) < 1000
            c = game.to_move
            p = players[c].genmove(game, c, clock)
            assert p == PASS or not is_eye(game.state, p, c)
            game.play(p, c)


def test_same_seed_same_moves():
    def moves(seed):
        game, player = Game(9), RandomPlayer(seed)
        for _ in range(20):
            game.play(player.genmove(game, game.to_move, Clock()))
        return game.moves
    assert moves(5) == moves(5)
    assert moves(5) != moves(6)


def test_random_player_respects_ko():
    game = from_ascii("""
        . . . . .
        . . . . .
        . . . . .
        . O X . .
        O X . X .
    """, to_move=WHITE)
    game.play(parse_gtp("C1", 5), WHITE)       # captures B1: a ko
    ko = parse_gtp("B1", 5)
    assert game.why_illegal(ko, BLACK) == "ko"
    for seed in range(100):
        p = RandomPlayer(seed).genmove(game, BLACK, Clock())
        assert p != ko and game.legal(p, BLACK)
    # white may take the empty point: the same generator does pick it
    picks = {RandomPlayer(s).genmove(game, WHITE, Clock()) for s in range(100)}
    assert ko in picks


def test_player_defaults():
    player = Player()
    game = Game(9)
    assert player_commands(player) == []          # no GTP commands of its own
    player.new_game(game)
    player.played(game, BLACK, PASS)
    player.undone(game)
    assert RESIGN not in (PASS, -2) and RESIGN < 0
