"""The two colours as GTP and SGF write them, and their names."""

from .board import BLACK, WHITE

COLOR_NAMES = {BLACK: "black", WHITE: "white"}
COLOR_LETTERS = {BLACK: "B", WHITE: "W"}          # SGF properties; GTP takes them in any case
_BY_WORD = {"b": BLACK, "black": BLACK, "w": WHITE, "white": WHITE}


def parse_color(word: str) -> int:
    """BLACK or WHITE for ``b``/``black``/``w``/``white`` in any case;
    ValueError otherwise."""
    color = _BY_WORD.get(word.lower())
    if color is None:
        raise ValueError(f"invalid color {word!r}")
    return color


def is_color_word(word: str) -> bool:
    return word.lower() in _BY_WORD
