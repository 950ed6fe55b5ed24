"""Reading SGF text into ``GameRecord``s: sgfmill's grammar for the tree,
then the few properties Go needs, decoded here (see the package docstring
for why and for the conventions)."""

import codecs
import math
import os

from sgfmill import sgf_grammar

# one node of sgfmill's coarse tree: {property: raw values}
Node = dict[str, list[bytes]]

from ..board import BLACK, EMPTY, PASS, WHITE
from ..colors import COLOR_LETTERS
from ..coords import format_sgf, to_point
from ..sizes import MAX_SIZE, MIN_SIZE
from .record import INTERPRETED, GameRecord, SGFError

MAX_KOMI = 1000.0
MAX_FILE_BYTES = 16 << 20   # one SGF file or archive member; more is not a game record


_POINT_TABLES: dict[int, dict[bytes, int]] = {}


def _point_table(n: int) -> dict[bytes, int]:
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


def _xy(raw: bytes, n: int) -> tuple[int, int] | None:
    """(x, y) of a raw SGF point (not a pass), or None if off the board."""
    v = raw.strip()
    if len(v) != 2:
        return None
    x, y = v[0] - 97, n - 1 - (v[1] - 97)
    if 0 <= x < n and 0 <= y < n:
        return x, y
    return None


def _codec(root: Node, override: str | None) -> str | None:
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


def _text(raw: bytes, codec: str | None) -> str:
    b = sgf_grammar.text_value(raw)
    if codec is None:
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            return b.decode("latin-1")
    return b.decode(codec, "replace")


def _one(node: Node, ident: str) -> bytes | None:
    """The single raw value of a root property, stripped, or None."""
    values = node.get(ident)
    if values is None:
        return None
    if len(values) != 1:
        raise SGFError(f"{ident} has {len(values)} values")
    return values[0].strip()


def _size(root: Node) -> int:
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
    if not MIN_SIZE <= n <= MAX_SIZE:
        raise SGFError(f"board size {n} not supported ({MIN_SIZE}..{MAX_SIZE})")
    return n


def _komi(root: Node) -> float:
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


def _handicap(root: Node, n: int) -> int:
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


def _colour(raw: bytes, ident: str) -> int:
    v = raw.strip().upper()
    if v in (b"B", b"BLACK", b"1"):
        return BLACK
    if v in (b"W", b"WHITE", b"2"):
        return WHITE
    raise SGFError(f"bad colour {ident}[{raw[:20].decode('ascii', 'replace')}]")


def _apply_setup(node: Node, setup: dict[int, int], n: int, where: str) -> None:
    """Add the node's AB/AW stones to ``setup``, then remove its AE points."""
    placed: dict[int, int] = {}
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


def _record(tree: sgf_grammar.Coarse_game_tree, source: str, codec_override: str | None
            ) -> GameRecord:
    """A GameRecord from one sgfmill Coarse_game_tree (its main line)."""
    nodes: list[Node] = list(sgf_grammar.main_sequence_iter(tree))
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
                  for k, vals in root.items() if k not in INTERPRETED}

    table = _point_table(n)
    setup: dict[int, int] = {}
    moves: list[tuple[int, int]] = []
    comments: list[str | None] = []
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
            pl = _colour(_one(node, "PL") or b"", "PL")     # "PL" is in the node
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
        letter = COLOR_LETTERS[colour]
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


def _as_bytes(data: object) -> tuple[bytes, str | None]:
    """(bytes, codec override) of ``data``: str is taken as decoded text."""
    if isinstance(data, str):
        return data.encode("utf-8", "surrogatepass"), "utf-8"
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), None
    raise TypeError(f"SGF data must be bytes or str, not {type(data).__name__}")


def parse_trees(data: bytes, source: str) -> list[sgf_grammar.Coarse_game_tree]:
    """The Coarse_game_trees of a collection; SGFError if unreadable."""
    try:
        return sgf_grammar.parse_sgf_collection(data)
    except _INPUT_ERRORS as e:
        raise SGFError(f"{source}: malformed SGF: {e}") from None


def checked_record(tree: sgf_grammar.Coarse_game_tree, source: str, codec: str | None
                   ) -> GameRecord:
    try:
        return _record(tree, source, codec)
    except SGFError as e:
        raise SGFError(f"{source}: {e}") from None
    except _INPUT_ERRORS as e:
        raise SGFError(f"{source}: malformed SGF: {type(e).__name__}: {e}") from None


def parse_sgf(data: bytes | str, source: str = "<string>") -> GameRecord:
    """The first game of SGF ``data`` (bytes, or str taken as decoded text)
    as a GameRecord; raises SGFError.  Moves are not checked for legality
    here: ``to_game`` or ``replay`` does that."""
    raw, codec = _as_bytes(data)
    trees = parse_trees(raw, source)
    return checked_record(trees[0], source, codec)


def load_sgf(path: str | os.PathLike[str]) -> GameRecord:
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
