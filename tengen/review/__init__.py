"""``tengen analyze``: game review for players.

Every position of a game's main line is searched (``review``), the moves
are classed by what they lost (``mistakes``), and the review is written as
an annotated SGF (``sgf_out``), a self-contained HTML report
(``html_report``), a PNG graph (``plot``), JSON (``schema``) and a CSV row
per player (``csv_out``); ``command`` is the command line and the batch
over many games, ``calibration`` measures the win rates against real
results.  Layer 6: it may import everything below it (engine, nets, mcts,
gtp, tengen); only ``tengen.cli`` imports it.
"""
