"""tengen: an AlphaGo-style Go engine in Python."""

__version__ = "0.1"
