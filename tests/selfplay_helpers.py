"""Helpers shared by the self-play tests: tiny networks and quick game settings."""

from gtp_helpers import save_tiny_models

from engine.game_setup import GameSetup
from selfplay.config import GameConfig


def tiny_models(directory, seed=1):
    """A directory holding tiny random policy and value networks."""
    directory.mkdir(parents=True, exist_ok=True)
    save_tiny_models(directory, seed)
    return directory


def quick_game_config(**kw):
    """9x9 games that end fast: a short move cap, few scoring playouts."""
    base = dict(setup=GameSetup(size=9), max_moves=60, score_playouts=8)
    base.update(kw)
    return GameConfig(**base)
