"""SGF game records: read, check, write, and stream them out of archives.

``record`` (the record and its replay), ``read`` (property decoding),
``write`` (the writer), ``archive`` (streaming many games).

Why this module reads the SGF tree itself instead of through
``sgfmill.sgf.Sgf_game``: the training pipeline reads ~119k games, and
sgfmill's node objects and strict property decoding cost about as much
again as its tokeniser.  So reading uses sgfmill's grammar
(``sgfmill.sgf_grammar.parse_sgf_collection``: tokens, variations, escapes) and
interprets the few properties Go needs here, with a precomputed table for
move points and lenient text decoding; writing uses ``sgfmill.sgf.Sgf_game``.

What a record holds, and the choices made where SGF leaves room:

* ``SZ``: default 19; square boards of 2..25 only (``SZ[19:19]`` is
  accepted, a rectangle is not).
* ``KM``: default 0 when absent (sgfmill and the SGF FF[4] reading: no komi
  property means no komi); a comma decimal point is accepted; it must be
  finite and at most 1000 in size.
* ``HA``: default 0; kept as given (0..size*size); it does not place stones,
  the ``AB`` setup does.
* ``RE`` is kept as written; ``winner`` is BLACK for ``B+...``, WHITE for
  ``W+...`` and None for anything else (``0``, ``Draw``, ``Void``, ``?``).
* Setup: ``AB``/``AW`` (compressed ``aa:cc`` lists too) then ``AE`` in the
  root and in any node before the first move; a point in both ``AB`` and
  ``AW`` is an error.  Setup after the first move is not supported and
  raises ``SGFError`` (``Game`` places setup stones only before move 1).
* ``first_to_move``: ``PL`` (root or a node before the first move); else
  the colour of the first move; else (no moves) WHITE when there is a
  handicap (``HA`` >= 2) with setup stones, BLACK otherwise.  Moves keep
  their own colours, so two moves of one colour in a row are replayed as
  written.
* Moves: the main line (first variation at every branch); ``B[]`` is a
  pass, and so is ``B[tt]`` on boards up to 19x19.  A point off the board
  raises ``SGFError`` when the record is read; legality (occupied, ko,
  suicide, superko) is checked when it is replayed (``to_game``/``replay``,
  Chinese rules by default: positional superko, no suicide).
  ``iter_records`` checks with simple ko instead (``RECORD_RULES``): expert
  games from Korean and Japanese servers may legally repeat a position.
* Comments: ``C`` of each move node; a comment on a node without a move
  joins the previous move's comment (or the root comment before move 1).
* ``properties``: the other root properties (PB, PW, DT, RU, ...) as
  decoded text, written back as they are by ``game_to_sgf``; FF, GM, CA
  are format details and are not kept.
* Text is decoded with the ``CA`` charset (errors replaced); without a
  usable ``CA``, as UTF-8, or ISO-8859-1 (the SGF default) where the bytes
  are not UTF-8.  Text passed as ``str`` is taken as already decoded.
* A file holding a collection of games: ``parse_sgf``/``load_sgf`` read the
  first; ``iter_records`` yields them all, named ``file.sgf#1``, ``#2``...
"""
