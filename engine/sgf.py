"""SGF game records: read, check, write, and stream them out of archives.

Why this module reads the SGF tree itself instead of through
``sgfmill.sgf.Sgf_game``: the training pipeline reads ~119k games, and
sgfmill's node objects and strict property decoding cost about as much
again as its tokeniser.  So reading uses sgfmill's grammar
(``sgf_grammar.parse_sgf_collection``: tokens, variations, escapes) and
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

import codecs
import itertools
import logging
import math
import os
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field

import numpy as np
from numba import njit
import sgfmill.sgf
from sgfmill import sgf_grammar

from . import board as B
from .board import BLACK, WHITE, EMPTY, PASS
from .coords import format_gtp, format_sgf, to_point
from .game import Game, IllegalMove, Rules, RULE_SETS, rules_named

log = logging.getLogger(__name__)

MAX_KOMI = 1000.0
# iter_records checks records with simple ko: most expert games come from
# Korean and Japanese servers, where repeating a whole-board position is legal
# (21 of tygem's 119k games do); a repetition is a rules difference, not a
# corrupt record.  Occupied points, suicide and ko are still caught.
RECORD_RULES = RULE_SETS["korean"]
MAX_FILE_BYTES = 16 << 20   # one SGF file or archive member; more is not a game record

# root properties interpreted into GameRecord fields (or format details)
_INTERPRETED = frozenset(("FF", "GM", "CA", "SZ", "KM", "HA", "RE", "AB", "AW",
                          "AE", "PL", "C", "B", "W"))
_COLOUR_LETTER = {BLACK: "B", WHITE: "W"}
_ARCHIVE_TAR = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar")


class SGFError(ValueError):
    """An SGF record that cannot be read or replayed; the message names the
    source and the problem."""


# --------------------------------------------------------------------------
# the record
# --------------------------------------------------------------------------

@dataclass
class GameRecord:
    """One game as read from SGF (see the module docstring for defaults)."""
    size: int
    komi: float
    handicap: int
    result: str | None
    winner: int | None
    setup: dict[int, int]
    first_to_move: int
    moves: list[tuple[int, int]]
    comments: list[str | None]
    root_comment: str | None
    properties: dict[str, list[str]]
    source: str

    def _describe(self, i):
        """``move 57 (W at dd = D16)`` for move index ``i`` (0-based)."""
        c, p = self.moves[i]
        if p == PASS:
            return f"move {i + 1} ({_COLOUR_LETTER[c]} pass)"
        return (f"move {i + 1} ({_COLOUR_LETTER[c]} at {format_sgf(p, self.size)}"
                f" = {format_gtp(p, self.size)})")

    def _count(self, upto):
        if upto is None:
            return len(self.moves)
        if upto < 0:
            raise ValueError(f"upto must be >= 0, not {upto}")
        return min(upto, len(self.moves))

    def _start(self, rules):
        """A Game holding the setup, nothing played."""
        game = Game(self.size, self.komi, _rules(rules))
        if self.setup or self.first_to_move != BLACK:
            try:
                game.set_setup(self.setup, self.first_to_move)
            except IllegalMove:
                raise SGFError(f"{self.source}: setup stones without liberties") from None
        game.handicap = self.handicap
        return game

    def to_game(self, rules=None, upto=None):
        """Replay through ``engine.game.Game`` (``rules``: a Rules or a rule
        set name, default Chinese), the first ``upto`` moves (default all;
        more than the game has means all).  An illegal move raises
        SGFError naming its number, colour, point and reason."""
        game = self._start(rules)
        for i in range(self._count(upto)):
            c, p = self.moves[i]
            try:
                game.play(p, c)
            except IllegalMove as e:
                raise SGFError(f"{self.source}: {self._describe(i)} is illegal: {e.reason}") from None
        return game

    def move_arrays(self, upto=None):
        """(colours, points) of the first ``upto`` moves as int64 arrays."""
        k = self._count(upto)
        flat = itertools.chain.from_iterable(itertools.islice(self.moves, k))
        a = np.fromiter(flat, dtype=np.int64, count=2 * k).reshape(k, 2)
        return a[:, 0].copy(), a[:, 1].copy()

    def replay(self, rules=None, upto=None):
        """The fast path of ``to_game``: the same checks, the moves played by
        the compiled ``replay_moves``; returns the final ``engine.board``
        state array.  Raises SGFError as ``to_game`` does."""
        rules = _rules(rules)
        s = self._start(rules).state
        colours, points = self.move_arrays(upto)
        played, code = replay_moves(s, colours, points, KO_CODES[rules.ko])
        if code:
            raise SGFError(f"{self.source}: {self._describe(played)} is illegal: {REASONS[code]}")
        return s


def _rules(rules):
    if rules is None:
        return RULE_SETS["chinese"]
    if isinstance(rules, Rules):
        return rules
    return rules_named(rules)


# --------------------------------------------------------------------------
# compiled replay
# --------------------------------------------------------------------------

REASONS = ("", "off-board", "occupied", "ko", "suicide", "superko")
KO_CODES = {"simple": 0, "positional": 1, "situational": 2}


@njit(cache=True)
def replay_moves(s, colours, points, ko_rule):
    """Play ``colours[i]`` at ``points[i]`` in order on ``s`` (in place),
    checking each move as ``Game.play`` does; stop at the first illegal one.

    ``ko_rule``: 0 simple ko, 1 positional superko, 2 situational superko
    (``KO_CODES``).  The history starts from ``s`` as given.  Returns
    (moves played, reason code): code 0 when all were legal, else an index
    into ``REASONS`` for move number ``played``.  Superko compares the hash
    after the move with every earlier one: a few hundred moves cost tens of
    thousands of integer compares, cheaper than any hash set."""
    n = points.shape[0]
    hist = np.empty(n + 1, dtype=np.int64)
    side = np.empty(n + 1, dtype=np.int64)
    hist[0] = s[B.H_HASH]
    side[0] = s[B.H_TOMOVE]
    nj = np.zeros(0, dtype=np.int64)
    for i in range(n):
        c = colours[i]
        p = points[i]
        if p != PASS:
            if p < 0 or p >= B.MAXM or s[B.COLOR + p] == B.WALL:
                return i, 1
            if s[B.COLOR + p] != EMPTY:
                return i, 2
            if not B.is_legal(s, p, c):
                if p == s[B.H_KO] and c == s[B.H_TOMOVE]:
                    return i, 3
                return i, 4
            if ko_rule != 0:
                h = B.hash_after(s, p, c)
                for k in range(i + 1):
                    if hist[k] == h and (ko_rule == 1 or side[k] == 3 - c):
                        return i, 5
        B.play(s, nj, p, c)
        hist[i + 1] = s[B.H_HASH]
        side[i + 1] = 3 - c
    return n, 0


# --------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------

_POINT_TABLES = {}


def _point_table(n):
    """{raw SGF move value: board point} for an n x n board, passes included."""
    table = _POINT_TABLES.get(n)
    if table is None:
        table = {b"": PASS}
        for x in range(n):
            for y in range(n):
                p = to_point(x, y, n)
                table[format_sgf(p, n).encode()] = p
        if n <= 19:
            table[b"tt"] = PASS
        _POINT_TABLES[n] = table
    return table


def _xy(raw, n):
    """(x, y) of a raw SGF point (not a pass), or None if off the board."""
    v = raw.strip()
    if len(v) != 2:
        return None
    x, y = v[0] - 97, n - 1 - (v[1] - 97)
    if 0 <= x < n and 0 <= y < n:
        return x, y
    return None


def _codec(root, override):
    """The Python codec for the text, or None for "UTF-8, else Latin-1"."""
    if override:
        return override
    ca = root.get("CA")
    if not ca:
        return None
    try:
        name = codecs.lookup(ca[0].decode("ascii", "replace").strip()).name
        b"x".decode(name, "replace")   # rejects bytes-to-bytes codecs such as base64
        return name
    except (LookupError, ValueError):
        return None


def _text(raw, codec):
    b = sgf_grammar.text_value(raw)
    if codec is None:
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            return b.decode("latin-1")
    return b.decode(codec, "replace")


def _one(node, ident):
    """The single raw value of a root property, stripped, or None."""
    values = node.get(ident)
    if values is None:
        return None
    if len(values) != 1:
        raise SGFError(f"{ident} has {len(values)} values")
    return values[0].strip()


def _size(root):
    raw = _one(root, "SZ")
    if raw is None:
        return 19
    a, colon, b = raw.partition(b":")
    try:
        n = int(a)
        if colon and int(b) != n:
            raise SGFError(f"rectangular board SZ[{raw.decode('ascii', 'replace')}] not supported")
    except ValueError as e:
        if isinstance(e, SGFError):
            raise
        raise SGFError(f"bad board size SZ[{raw[:20].decode('ascii', 'replace')}]") from None
    if not B.MIN_SIZE <= n <= B.MAX_SIZE:
        raise SGFError(f"board size {n} not supported ({B.MIN_SIZE}..{B.MAX_SIZE})")
    return n


def _komi(root):
    raw = _one(root, "KM")
    if raw is None:
        return 0.0
    try:
        komi = float(raw.replace(b",", b"."))
    except ValueError:
        raise SGFError(f"bad komi KM[{raw[:20].decode('ascii', 'replace')}]") from None
    if not math.isfinite(komi) or abs(komi) > MAX_KOMI:
        raise SGFError(f"komi KM[{raw[:20].decode('ascii', 'replace')}] out of range")
    return komi


def _handicap(root, n):
    raw = _one(root, "HA")
    if raw is None:
        return 0
    try:
        ha = int(raw)
    except ValueError:
        raise SGFError(f"bad handicap HA[{raw[:20].decode('ascii', 'replace')}]") from None
    if not 0 <= ha <= n * n:
        raise SGFError(f"handicap HA[{ha}] out of range")
    return ha


def _colour(raw, ident):
    v = raw.strip().upper()
    if v in (b"B", b"BLACK", b"1"):
        return BLACK
    if v in (b"W", b"WHITE", b"2"):
        return WHITE
    raise SGFError(f"bad colour {ident}[{raw[:20].decode('ascii', 'replace')}]")


def _apply_setup(node, setup, n, where):
    """Add the node's AB/AW stones to ``setup``, then remove its AE points."""
    placed = {}
    for ident, colour in (("AB", BLACK), ("AW", WHITE), ("AE", EMPTY)):
        for raw in node.get(ident, ()):
            a, colon, b = raw.partition(b":")
            p1 = _xy(a, n)
            p2 = _xy(b, n) if colon else p1
            if p1 is None or p2 is None:
                raise SGFError(f"{ident}[{raw[:20].decode('ascii', 'replace')}] in {where}"
                               f" is not a point of the {n}x{n} board")
            for x in range(min(p1[0], p2[0]), max(p1[0], p2[0]) + 1):
                for y in range(min(p1[1], p2[1]), max(p1[1], p2[1]) + 1):
                    p = to_point(x, y, n)
                    if colour == EMPTY:
                        setup.pop(p, None)
                        continue
                    if placed.get(p, colour) != colour:
                        raise SGFError(f"point {format_sgf(p, n)} is in both AB and AW in {where}")
                    placed[p] = colour
                    setup[p] = colour


def _record(tree, source, codec_override):
    """A GameRecord from one sgfmill Coarse_game_tree (its main line)."""
    nodes = list(sgf_grammar.main_sequence_iter(tree))
    root = nodes[0]
    gm = _one(root, "GM")
    if gm is not None and gm != b"1":
        raise SGFError(f"not a game of Go (GM[{gm[:20].decode('ascii', 'replace')}])")
    n = _size(root)
    komi = _komi(root)
    handicap = _handicap(root, n)
    codec = _codec(root, codec_override)
    re_raw = root.get("RE")
    result = _text(re_raw[0], codec).strip() if re_raw else None
    result = result or None
    winner = None
    if result:
        head = result[:2].upper()
        winner = BLACK if head == "B+" else WHITE if head == "W+" else None
    properties = {k: [_text(v, codec) for v in vals]
                  for k, vals in root.items() if k not in _INTERPRETED}

    table = _point_table(n)
    setup = {}
    moves = []
    comments = []
    root_comment = None
    pl = None
    for idx, node in enumerate(nodes):
        b = node.get("B")
        w = node.get("W")
        if len(node) == 1 and idx:
            # the common case: a node holding one move and nothing else
            mv = b if b is not None else w
            if mv is not None and len(mv) == 1:
                p = table.get(mv[0])
                if p is not None:
                    moves.append((BLACK if b is not None else WHITE, p))
                    comments.append(None)
                    continue
        if "AB" in node or "AW" in node or "AE" in node:
            if moves:
                raise SGFError(f"setup stones (AB/AW/AE) in node {idx}, after move "
                               f"{len(moves)}, are not supported")
            _apply_setup(node, setup, n, "the root" if idx == 0 else f"node {idx}")
        if "PL" in node and not moves:
            pl = _colour(_one(node, "PL"), "PL")
        c = node.get("C")
        text = _text(c[0], codec) if c else None
        if b is not None and w is not None:
            raise SGFError(f"node {idx} holds both a black and a white move")
        mv = b if b is not None else w
        if mv is None:
            if text is None:
                continue
            if moves:
                prev = comments[-1]
                comments[-1] = text if prev is None else prev + "\n\n" + text
            else:
                root_comment = text if root_comment is None else root_comment + "\n\n" + text
            continue
        colour = BLACK if b is not None else WHITE
        letter = _COLOUR_LETTER[colour]
        if len(mv) != 1:
            raise SGFError(f"move {len(moves) + 1} ({letter}) has {len(mv)} values")
        p = table.get(mv[0].strip())
        if p is None:
            shown = mv[0][:20].decode("ascii", "replace")
            raise SGFError(f"move {len(moves) + 1} ({letter} at {shown!r}) is not a point "
                           f"of the {n}x{n} board")
        moves.append((colour, p))
        if idx == 0:
            root_comment = text
            comments.append(None)
        else:
            comments.append(text)
    if pl is not None:
        first = pl
    elif moves:
        first = moves[0][0]
    else:
        first = WHITE if handicap >= 2 and setup else BLACK
    return GameRecord(size=n, komi=komi, handicap=handicap, result=result, winner=winner,
                      setup=setup, first_to_move=first, moves=moves, comments=comments,
                      root_comment=root_comment, properties=properties, source=source)


# the errors a hostile file can raise from inside sgfmill or the decoders
_INPUT_ERRORS = (ValueError, IndexError, KeyError, TypeError, OverflowError)


def _as_bytes(data):
    """(bytes, codec override) of ``data``: str is taken as decoded text."""
    if isinstance(data, str):
        return data.encode("utf-8", "surrogatepass"), "utf-8"
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), None
    raise TypeError(f"SGF data must be bytes or str, not {type(data).__name__}")


def _trees(data, source):
    """The Coarse_game_trees of a collection; SGFError if unreadable."""
    try:
        return sgf_grammar.parse_sgf_collection(data)
    except _INPUT_ERRORS as e:
        raise SGFError(f"{source}: malformed SGF: {e}") from None


def _checked_record(tree, source, codec):
    try:
        return _record(tree, source, codec)
    except SGFError as e:
        raise SGFError(f"{source}: {e}") from None
    except _INPUT_ERRORS as e:
        raise SGFError(f"{source}: malformed SGF: {type(e).__name__}: {e}") from None


def parse_sgf(data, source="<string>"):
    """The first game of SGF ``data`` (bytes, or str taken as decoded text)
    as a GameRecord; raises SGFError.  Moves are not checked for legality
    here: ``to_game`` or ``replay`` does that."""
    raw, codec = _as_bytes(data)
    trees = _trees(raw, source)
    return _checked_record(trees[0], source, codec)


def load_sgf(path):
    """``parse_sgf`` of a file (the first game if it holds several); raises
    SGFError, also when the file cannot be read."""
    source = os.fspath(path)
    try:
        with open(source, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise SGFError(f"{source}: cannot read: {e.strerror or e}") from None
    if len(data) > MAX_FILE_BYTES:
        raise SGFError(f"{source}: larger than {MAX_FILE_BYTES} bytes, not a game record")
    return parse_sgf(data, source)


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------

_RU_NAMES = {"chinese": "Chinese", "japanese": "Japanese", "korean": "Korean",
             "aga": "AGA", "new-zealand": "NZ", "tromp-taylor": "Tromp-Taylor"}


def _escaped(text):
    return sgf_grammar.escape_text(str(text).encode("utf-8"))


def game_to_sgf(game, comments=None, properties=None, result=None, root_comment=None):
    """The game (setup, komi, handicap, moves with passes) as SGF FF[4] text.

    ``comments``: one entry per move (None for none; may be shorter than
    the game).  ``properties``: more root properties, {ident: [text, ...]}
    (a plain str counts as one value), e.g. a record's ``properties``; the
    ones this function writes itself (SZ, KM, HA, RE, AB, AW, PL, ...) are
    refused.  ``RU`` is written from ``game.rules`` unless given.
    ``result``: the RE value (nothing is written when None)."""
    n = game.size
    props = dict(properties or {})
    clash = sorted(k for k in props if k in _INTERPRETED)
    if clash:
        raise ValueError(f"properties {', '.join(clash)} are written from the game itself")
    if comments is not None and len(comments) > len(game.moves):
        raise ValueError(f"{len(comments)} comments for {len(game.moves)} moves")
    sg = sgfmill.sgf.Sgf_game(n)          # FF[4] GM[1] SZ CA[UTF-8]
    root = sg.get_root()
    root.set("KM", float(game.komi))
    if game.handicap:
        root.set("HA", int(game.handicap))
    if result is not None:
        root.set_raw("RE", _escaped(result))
    if "RU" not in props and game.rules.name in _RU_NAMES:
        props["RU"] = [_RU_NAMES[game.rules.name]]
    for ident, colour in (("AB", BLACK), ("AW", WHITE)):
        pts = sorted(format_sgf(p, n).encode() for p, c in game.setup.items() if c == colour)
        if pts:
            root.set_raw_list(ident, pts)
    if game.setup or game.first_to_move != BLACK:
        root.set_raw("PL", _COLOUR_LETTER[game.first_to_move].encode())
    for ident, values in props.items():
        if isinstance(values, str):
            values = [values]
        root.set_raw_list(ident, [_escaped(v) for v in values])
    if root_comment:
        root.set_raw("C", _escaped(root_comment))
    node = root
    for i, (c, p) in enumerate(game.moves):
        node = node.new_child()
        node.set_raw(_COLOUR_LETTER[c], format_sgf(p, n).encode())
        if comments is not None and i < len(comments) and comments[i]:
            node.set_raw("C", _escaped(comments[i]))
    return sg.serialise().decode("utf-8")


def save_sgf(game, path, **kw):
    """Write ``game_to_sgf(game, **kw)`` to ``path`` atomically: a temporary
    file in the same directory, then ``os.replace``, so a reader never sees
    half a file and a crash never leaves one."""
    text = game_to_sgf(game, **kw)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".sgf", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --------------------------------------------------------------------------
# streaming many games
# --------------------------------------------------------------------------

@dataclass
class ReadStats:
    """Counts kept by ``iter_records``: ``games`` yielded, ``skipped``
    (malformed or illegal games, unreadable files, members or archives),
    ``ignored`` files and members that are not SGF, and the first
    ``max_errors`` skip messages."""
    games: int = 0
    skipped: int = 0
    ignored: int = 0
    errors: list = field(default_factory=list)
    max_errors: int = 20

    def skip(self, message):
        self.skipped += 1
        if len(self.errors) < self.max_errors:
            self.errors.append(message)
        log.warning("skipped %s", message)

    def summary(self):
        text = f"{self.games} games read, {self.skipped} skipped, {self.ignored} non-SGF entries ignored"
        if self.errors:
            more = self.skipped - len(self.errors)
            text += "; first errors:\n  " + "\n  ".join(self.errors)
            if more > 0:
                text += f"\n  ... and {more} more"
        return text


def _kind(path):
    low = path.lower()
    if low.endswith(".sgf"):
        return "sgf"
    if low.endswith(".zip"):
        return "zip"
    if low.endswith(_ARCHIVE_TAR):
        return "tar"
    return None


def iter_records(paths, stats=None, rules=None, validate=True, max_bytes=MAX_FILE_BYTES):
    """Stream GameRecords from ``paths``: .sgf files, directories (searched
    recursively, in sorted order), and .zip / .tar / .tar.gz / .tgz /
    .tar.bz2 archives of SGF files; every game of a collection.

    One file or archive member is in memory at a time (tar archives are
    read as a stream, zip members one by one).  Games that cannot be read,
    or (``validate``) that hold an illegal move under ``rules`` (default
    ``RECORD_RULES``: simple ko; checked by the compiled
    ``GameRecord.replay``), are skipped:
    counted in ``stats`` (a ReadStats) and logged once each at warning
    level.  Entries that are not SGF (other names, directories, links) are
    counted as ignored.  A path that does not exist, or a file of an
    unknown type named directly, raises at once (FileNotFoundError /
    ValueError): that is a caller's mistake, not bad data."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    for p in paths:
        if not os.path.exists(p):
            raise FileNotFoundError(f"no such file or directory: {p}")
        if not os.path.isdir(p) and _kind(p) is None:
            raise ValueError(f"{p}: not an .sgf file, a directory or a .zip/.tar.gz/.tgz/.tar.bz2 archive")
    stats = ReadStats() if stats is None else stats
    reader = _Reader(stats, RECORD_RULES if rules is None else _rules(rules), validate, max_bytes)
    return reader.run(paths)


class _Reader:
    def __init__(self, stats, rules, validate, max_bytes):
        self.stats = stats
        self.rules = rules
        self.validate = validate
        self.max_bytes = max_bytes

    def run(self, paths):
        for path in paths:
            if os.path.isdir(path):
                yield from self._directory(path)
            else:
                yield from self._file(path, _kind(path))

    def _directory(self, top):
        for folder, dirs, files in os.walk(top):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(folder, name)
                kind = _kind(path)
                if kind is None or os.path.islink(path):
                    self.stats.ignored += 1
                else:
                    yield from self._file(path, kind)

    def _file(self, path, kind):
        if kind == "zip":
            yield from self._zip(path)
        elif kind == "tar":
            yield from self._tar(path)
        else:
            try:
                with open(path, "rb") as f:
                    data = f.read(self.max_bytes + 1)
            except OSError as e:
                self.stats.skip(f"{path}: cannot read: {e}")
                return
            yield from self._games(data, path)

    def _games(self, data, source):
        """The records of one SGF file's bytes, bad ones counted."""
        if len(data) > self.max_bytes:
            self.stats.skip(f"{source}: larger than {self.max_bytes} bytes, not a game record")
            return
        try:
            trees = _trees(data, source)
        except SGFError as e:
            self.stats.skip(str(e))
            return
        for k, tree in enumerate(trees):
            name = f"{source}#{k + 1}" if len(trees) > 1 else source
            try:
                rec = _checked_record(tree, name, None)
                if self.validate:
                    rec.replay(self.rules)
            except SGFError as e:
                self.stats.skip(str(e))
                continue
            self.stats.games += 1
            yield rec

    def _zip(self, path):
        name = os.path.basename(path)
        try:
            zf = zipfile.ZipFile(path)
        except Exception as e:   # hostile archives raise many types; none may escape
            self.stats.skip(f"{name}: not a readable zip archive: {e}")
            return
        with zf:
            for info in zf.infolist():
                if info.is_dir() or _kind(info.filename) != "sgf":
                    self.stats.ignored += 1
                    continue
                source = f"{name}:{info.filename}"
                if info.file_size > self.max_bytes:
                    self.stats.skip(f"{source}: larger than {self.max_bytes} bytes, not a game record")
                    continue
                try:
                    with zf.open(info) as f:
                        data = f.read(self.max_bytes + 1)
                except Exception as e:   # bad CRC, zlib errors, encryption, truncation
                    self.stats.skip(f"{source}: unreadable member: {e}")
                    continue
                yield from self._games(data, source)

    def _tar(self, path):
        name = os.path.basename(path)
        try:
            tf = tarfile.open(path, mode="r|*")
        except Exception as e:
            self.stats.skip(f"{name}: not a readable tar archive: {e}")
            return
        with tf:
            members = iter(tf)
            while True:
                try:
                    info = next(members)
                except StopIteration:
                    break
                except Exception as e:   # truncated or corrupt stream: nothing after it is readable
                    self.stats.skip(f"{name}: archive corrupt or truncated: {e}")
                    break
                if not info.isfile() or _kind(info.name) != "sgf":
                    self.stats.ignored += 1
                    continue
                source = f"{name}:{info.name}"
                if info.size > self.max_bytes:
                    self.stats.skip(f"{source}: larger than {self.max_bytes} bytes, not a game record")
                    continue
                try:
                    data = tf.extractfile(info).read(self.max_bytes + 1)
                except Exception as e:
                    self.stats.skip(f"{source}: archive corrupt or truncated: {e}")
                    break
                yield from self._games(data, source)
