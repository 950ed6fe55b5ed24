"""The shipped networks and their model card, installed as package data so
that a regular install (``pip install .``, a wheel, ``pipx``) plays with them
from any directory; ``tengen.base.paths.MODELS_DIR`` is this folder."""
