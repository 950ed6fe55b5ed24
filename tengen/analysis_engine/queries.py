"""A line of KataGo's analysis protocol, parsed and checked (``parse_line``).

A line is a JSON object with a string ``id``: an action (``query_version``,
``query_models``, ``clear_cache``, ``terminate``, ``terminate_all``) or a
query for the analysis of some turns of a game.  Fields are checked in
KataGo's order and with its messages (``cpp/command/analysis.cpp``); the
first bad one is the error, ``{"error", "field", "id"}``, or ``{"error"}``
alone when the line has no id to answer to (malformed JSON, not an object,
no string ``id``).  What tengen accepts but does not honour comes back as
``warning`` lines with the query, which still runs: KataGo's own fields
tengen's search has no use for (``rootPolicyTemperature``, the ``...Stdev``
switches) and every ``overrideSettings`` entry other than ``maxVisits``,
``maxTime`` and ``reportAnalysisWinratesAs``; unknown top-level fields get
KataGo's "Unexpected or unused field" warning.

Only what must be parsed is Go here: vertices (``C4``, ``pass``, KataGo's
``(x,y)`` with y from the top) and colours.  Whether the moves are legal is
``positions``' business.
"""

import json
import math
from dataclasses import dataclass, replace
from typing import TypeGuard

from engine.colors import parse_color
from engine.coords import GTP_COLUMNS
from engine.sizes import MAX_SIZE, MIN_SIZE

from .katago_rules import HANDICAP_BONUS_RULES, KataRules, RulesError, parse_katago_rules, parse_komi

Vertex = tuple[int, int] | None     # (column from the left, row from the bottom); None: pass

ACTIONS = ("query_version", "query_models", "clear_cache", "terminate", "terminate_all")
HONOURED_SETTINGS = ("maxVisits", "maxTime", "reportAnalysisWinratesAs")
MAX_PRIORITY = 2 ** 62 - 1
MAX_VISITS = 2 ** 50

# every top-level field KataGo knows (its ``expectedKeys``): no "unexpected" warning
KNOWN_FIELDS = frozenset((
    "id", "action", "terminateId", "turnNumbers", "boardXSize", "boardYSize", "initialStones",
    "moves", "initialPlayer", "analyzeTurns", "priorities", "rules", "komi",
    "whiteHandicapBonus", "overrideSettings", "maxVisits", "analysisPVLen",
    "rootFpuReductionMax", "rootPolicyTemperature", "includeMovesOwnership",
    "includeMovesOwnershipStdev", "includeOwnership", "includeOwnershipStdev", "includePolicy",
    "includePVVisits", "includeNoResultValue", "reportDuringSearchEvery",
    "firstReportDuringSearchAfter", "priority", "allowMoves", "avoidMoves"))
UNUSED_SWITCHES = ("includeMovesOwnershipStdev", "includeOwnershipStdev", "includeNoResultValue")

MOVES_FORMAT = 'Must be an array of pairs of the form: ["b" or "w", GTP board vertex]'
FILTER_FORMAT = "Must be a list of dicts with subfields 'player', 'moves', 'untilDepth'"
SIZE_ERROR = f"Must provide an integer from {MIN_SIZE} to {MAX_SIZE}"
ECHO_LIMIT = 1000        # characters of a bad line quoted back


class QueryError(ValueError):
    """A bad line: ``response()`` is its error line, KataGo's shape."""

    def __init__(self, message: str, field: str | None = None, query_id: str | None = None):
        super().__init__(message)
        self.message, self.field, self.query_id = message, field, query_id

    def response(self) -> dict:
        if self.query_id is None:
            return {"error": self.message}
        return {"id": self.query_id, "field": self.field, "error": self.message}


@dataclass(frozen=True)
class MoveFilter:
    """One entry of ``avoidMoves`` or ``allowMoves``."""
    color: int
    vertices: frozenset
    until_depth: int


@dataclass(frozen=True)
class ActionQuery:
    """A special action; ``echo`` is the line's object, answered back."""
    id: str
    action: str
    echo: dict
    terminate_id: str | None = None
    turn_numbers: frozenset | None = None     # None: every turn


@dataclass(frozen=True)
class AnalysisQuery:
    """Turns of one game to analyse, and how.  ``None`` settings take the
    engine's defaults (``config.AnalysisConfig``)."""
    id: str
    size: int
    initial_stones: tuple = ()        # (colour, (x, y)) in order
    moves: tuple = ()                 # (colour, Vertex) in order
    initial_player: int | None = None
    turns: tuple = ()                 # turn numbers, ascending, each once
    priorities: tuple = ()            # one per turn
    rules: KataRules = KataRules("tromp-taylor")
    komi: float = 7.5
    max_visits: int | None = None
    max_time: float | None = None
    pv_length: int | None = None
    perspective: str | None = None
    include_ownership: bool = False
    include_moves_ownership: bool = False
    include_policy: bool = False
    include_pv_visits: bool = False
    report_every: float | None = None
    first_report_after: float | None = None
    avoid: tuple = ()                 # MoveFilter
    allow: tuple = ()                 # MoveFilter
    warnings: tuple = ()              # (field, message)


# ---- values -------------------------------------------------------------------

def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[int | float]:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _integer(value: object, low: int, high: int, message: str, field: str, qid: str) -> int:
    if not _is_int(value) or not low <= value <= high:
        raise QueryError(message, field, qid)
    return value


def _number(value: object, low: float, high: float, message: str, field: str, qid: str) -> float:
    if not _is_number(value) or not low <= value <= high:
        raise QueryError(message, field, qid)
    return float(value)


def _boolean(value: object, field: str, qid: str) -> bool:
    if not isinstance(value, bool):
        raise QueryError("Must be a boolean", field, qid)
    return value


def _player(value: object, field: str, qid: str) -> int:
    try:
        if isinstance(value, str):
            return parse_color(value)
    except ValueError:
        pass
    raise QueryError('Must be "b" or "w"', field, qid)


def parse_vertex(text: str, n: int) -> Vertex:
    """A KataGo location on an n x n board: ``C4`` (any case, no ``I``),
    ``pass`` or ``pss``, or ``(x,y)`` counted from the top-left corner.
    ValueError for anything else, or a point off the board."""
    s = text.strip()
    if s.lower() in ("pass", "pss"):
        return None
    if len(s) >= 2 and s[0] == "(" and s[-1] == ")":
        parts = s[1:-1].split(",")
        if len(parts) == 2 and all(p.strip().lstrip("-").isdigit() for p in parts):
            x, y_top = int(parts[0]), int(parts[1])
            if 0 <= x < n and 0 <= y_top < n:
                return x, n - 1 - y_top
        raise ValueError(text)
    column = s[:1].upper()
    row = s[1:]
    if column and column in GTP_COLUMNS and row.isascii() and row.isdigit():
        x, y = GTP_COLUMNS.index(column), int(row) - 1
        if x < n and 0 <= y < n:
            return x, y
    raise ValueError(text)


def _vertices(value: object, n: int, field: str, qid: str) -> frozenset:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise QueryError("Must be an array of GTP board vertices", field, qid)
    out = set()
    for text in value:
        try:
            out.add(parse_vertex(text, n))
        except ValueError:
            raise QueryError(f"Could not parse board location: {text}", field, qid) from None
    return frozenset(out)


def _placements(value: object, n: int, field: str, qid: str, allow_pass: bool) -> tuple:
    if not isinstance(value, list):
        raise QueryError(MOVES_FORMAT, field, qid)
    out = []
    for item in value:
        if (not isinstance(item, list) or len(item) != 2
                or not all(isinstance(part, str) for part in item)):
            raise QueryError(MOVES_FORMAT, field, qid)
        try:
            color = parse_color(item[0])
        except ValueError:
            raise QueryError(f"Could not parse player: {item[0]}", field, qid) from None
        try:
            vertex = parse_vertex(item[1], n)
        except ValueError:
            raise QueryError(f"Could not parse board location: {item[1]}", field, qid) from None
        if vertex is None and not allow_pass:
            raise QueryError(f"Could not parse board location: {item[1]}", field, qid)
        out.append((color, vertex))
    return tuple(out)


def _int_list(value: object) -> list[int] | None:
    if isinstance(value, list) and all(_is_int(v) for v in value):
        return value
    return None


def _perspective(value: object) -> str:
    """``reportAnalysisWinratesAs``: b/black, w/white or sidetomove, any case."""
    word = str(value).strip().lower() if isinstance(value, (str, int, float)) else ""
    found = {"b": "BLACK", "black": "BLACK", "w": "WHITE", "white": "WHITE",
             "sidetomove": "SIDETOMOVE"}.get(word)
    if found is None:
        raise ValueError(f"Could not parse config value for reportAnalysisWinratesAs: {value}")
    return found


def _setting_number(value: object) -> float:
    """A numeric override, as a JSON number or a string (KataGo reads both)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"not a number: {value!r}") from None
    if not _is_number(value):
        raise ValueError(f"not a number: {value!r}")
    return float(value)


def _overrides(value: object, qid: str) -> tuple[dict, list]:
    """(the honoured ``overrideSettings`` as query fields, warnings)."""
    if not isinstance(value, dict):
        raise QueryError("Must be an object", "overrideSettings", qid)
    found: dict = {}
    try:
        if "maxVisits" in value:
            visits = _setting_number(value["maxVisits"])
            if visits != int(visits) or not 1 <= visits <= MAX_VISITS:
                raise ValueError("maxVisits must be an integer from 1 to 2^50")
            found["max_visits"] = int(visits)
        if "maxTime" in value:
            seconds = _setting_number(value["maxTime"])
            if seconds <= 0:
                raise ValueError("maxTime must be a positive number of seconds")
            found["max_time"] = seconds
        if "reportAnalysisWinratesAs" in value:
            found["perspective"] = _perspective(value["reportAnalysisWinratesAs"])
    except ValueError as e:
        raise QueryError(f"Could not set settings: {e}", "overrideSettings", qid) from None
    ignored = sorted(k for k in value if k not in HONOURED_SETTINGS)
    warnings = [("overrideSettings", f"Settings ignored by tengen: {', '.join(ignored)}")] \
        if ignored else []
    return found, warnings


def _filters(obj: dict, field: str, n: int, qid: str) -> tuple:
    """``avoidMoves`` or ``allowMoves``: one MoveFilter per entry."""
    entries = obj[field]
    if not isinstance(entries, list):
        raise QueryError(FILTER_FORMAT, field, qid)
    if field == "allowMoves" and len(entries) > 2:
        raise QueryError("Currently allowMoves only allows at most one entry per player",
                         field, qid)
    out, colors = [], set()
    for entry in entries:
        if not isinstance(entry, dict) or not {"player", "moves", "untilDepth"} <= entry.keys():
            raise QueryError(FILTER_FORMAT, field, qid)
        color = _player(entry["player"], field, qid)
        vertices = _vertices(entry["moves"], n, field, qid)
        depth = _integer(entry["untilDepth"], 1, 10 ** 9, "Must be a positive integer", field, qid)
        if field == "allowMoves" and color in colors:
            raise QueryError("Cannot specify allowMoves more than once for the same player",
                             field, qid)
        colors.add(color)
        out.append(MoveFilter(color, vertices, depth))
    return tuple(out)


# ---- lines ----------------------------------------------------------------------

def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def parse_line(line: str) -> ActionQuery | AnalysisQuery:
    """The query on ``line``; raises QueryError for a bad one."""
    try:
        obj = json.loads(line, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as e:
        quoted = line if len(line) <= ECHO_LIMIT else line[:ECHO_LIMIT] + "..."
        raise QueryError(f"{e} - could not parse input line as json request: {quoted}") from None
    if not isinstance(obj, dict):
        text = json.dumps(obj)
        quoted = text if len(text) <= ECHO_LIMIT else text[:ECHO_LIMIT] + "..."
        raise QueryError(f"Request line was valid json but was not an object, ignoring: {quoted}")
    qid = obj.get("id")
    if not isinstance(qid, str):
        raise QueryError('Request must have a string "id" field')
    if "action" in obj:
        return _action(obj, qid)
    return _analysis(obj, qid)


def _action(obj: dict, qid: str) -> ActionQuery:
    action = obj["action"]
    if action not in ACTIONS:
        raise QueryError("'action' field must be 'query_version' or 'query_models' or "
                         "'clear_cache' or 'terminate' or 'terminate_all'", "action", qid)
    terminate_id = turns = None
    if action == "terminate":
        terminate_id = obj.get("terminateId")
        if not isinstance(terminate_id, str):
            raise QueryError('Requests for a terminate action must have a string "terminateId" '
                             "field", "terminateId", qid)
    if action in ("terminate", "terminate_all") and "turnNumbers" in obj:
        numbers = _int_list(obj["turnNumbers"])
        if numbers is None:
            raise QueryError("If provided, must be an array of integers indicating turns to "
                             "terminate", "turnNumbers", qid)
        turns = frozenset(numbers)
    return ActionQuery(qid, action, obj, terminate_id, turns)


def _analysis(obj: dict, qid: str) -> AnalysisQuery:
    """An analysis query, its fields in KataGo's order."""
    warnings = []
    for field in ("boardXSize", "boardYSize"):
        if field not in obj:
            raise QueryError(SIZE_ERROR, field, qid)
        _integer(obj[field], MIN_SIZE, MAX_SIZE, SIZE_ERROR, field, qid)
    n = obj["boardXSize"]
    if obj["boardYSize"] != n:
        raise QueryError(f"tengen plays square boards only: boardXSize {n} and boardYSize "
                         f"{obj['boardYSize']} differ", "boardYSize", qid)
    stones = _placements(obj["initialStones"], n, "initialStones", qid, False) \
        if "initialStones" in obj else ()
    if "moves" not in obj:
        raise QueryError("Must specify an array of [player,location] pairs", "moves", qid)
    moves = _placements(obj["moves"], n, "moves", qid, True)
    initial = _player(obj["initialPlayer"], "initialPlayer", qid) if "initialPlayer" in obj else None

    turns = [len(moves)]
    if "analyzeTurns" in obj:
        asked = _int_list(obj["analyzeTurns"])
        if asked is None:
            raise QueryError("Must specify an array of integers indicating turns to analyze",
                             "analyzeTurns", qid)
        turns = asked
        for t in turns:
            if not 0 <= t <= len(moves):
                raise QueryError(f"Invalid turn number: {t}", "analyzeTurns", qid)
    priority_of: dict = {}
    if "priorities" in obj:
        priorities = _int_list(obj["priorities"])
        if priorities is None:
            raise QueryError("Must specify an array of integers indicating priorities",
                             "priorities", qid)
        if "analyzeTurns" not in obj:
            raise QueryError("Can only specify when also specifying analyzeTurns", "priorities", qid)
        if len(priorities) != len(turns):
            raise QueryError("Must be of matching length to analyzeTurns", "priorities", qid)
        for t, p in zip(turns, priorities):
            if abs(p) > MAX_PRIORITY:
                raise QueryError(f"Invalid priority: {p}", "priorities", qid)
            priority_of[t] = p

    if "rules" not in obj:
        raise QueryError('Must specify rules string, such as "chinese" or "tromp-taylor", '
                         "or a JSON object with detailed rules parameters.", "rules", qid)
    try:
        rules = parse_katago_rules(obj["rules"])
    except RulesError as e:
        raise QueryError(str(e), "rules", qid) from None
    try:
        komi = parse_komi(obj["komi"]) if "komi" in obj else rules.default_komi
    except RulesError as e:
        raise QueryError(str(e), "komi", qid) from None
    if "whiteHandicapBonus" in obj:
        bonus = obj["whiteHandicapBonus"]
        if not isinstance(bonus, str):
            raise QueryError("Must be a string", "whiteHandicapBonus", qid)
        if bonus not in HANDICAP_BONUS_RULES:
            raise QueryError(f"Invalid whiteHandicapBonus rule: {bonus}", "whiteHandicapBonus", qid)
        rules = replace(rules, handicap_bonus=bonus)

    settings: dict = {}
    if "overrideSettings" in obj:
        settings, found = _overrides(obj["overrideSettings"], qid)
        warnings += found
    if "maxVisits" in obj:
        settings["max_visits"] = _integer(obj["maxVisits"], 1, MAX_VISITS,
                                          "Must be an integer from 1 to 2^50", "maxVisits", qid)
    if "analysisPVLen" in obj:
        settings["pv_length"] = _integer(obj["analysisPVLen"], 1, 1000,
                                         "Must be an integer from 1 to 1000", "analysisPVLen", qid)
    for field, low, high in (("rootFpuReductionMax", 0.0, 2.0), ("rootPolicyTemperature", 0.01, 100.0)):
        if field in obj:
            _number(obj[field], low, high, f"Must be a number from {low} to {high}", field, qid)
            warnings.append((field, "Not used by tengen's search: ignored"))
    include: dict = {}
    for field, name in (("includeMovesOwnership", "include_moves_ownership"),
                        ("includeOwnership", "include_ownership"),
                        ("includePolicy", "include_policy"),
                        ("includePVVisits", "include_pv_visits")):
        if field in obj:
            include[name] = _boolean(obj[field], field, qid)
    for field in UNUSED_SWITCHES:
        if field in obj and _boolean(obj[field], field, qid):
            warnings.append((field, "Not reported by tengen: ignored"))
    report_message = "Must be number of seconds from 0.001 to 1000000.0"
    if "reportDuringSearchEvery" in obj:
        settings["report_every"] = _number(obj["reportDuringSearchEvery"], 0.001, 1e6,
                                           report_message, "reportDuringSearchEvery", qid)
    if "firstReportDuringSearchAfter" in obj:
        settings["first_report_after"] = _number(obj["firstReportDuringSearchAfter"], 0.001, 1e6,
                                                 report_message, "firstReportDuringSearchAfter",
                                                 qid)
    priority = 0
    if "priority" in obj:
        if "priorities" in obj:
            raise QueryError("Cannot specify both priority and priorities", "priority", qid)
        priority = _integer(obj["priority"], -MAX_PRIORITY, MAX_PRIORITY,
                            "Must be a number between -2^62 and 2^62", "priority", qid)
    if "allowMoves" in obj and "avoidMoves" in obj:
        raise QueryError("Cannot specify both allowMoves and avoidMoves", "allowMoves", qid)
    filters = {}
    for field, name in (("avoidMoves", "avoid"), ("allowMoves", "allow")):
        if field in obj:
            filters[name] = _filters(obj, field, n, qid)
            if any(f.until_depth > 1 for f in filters[name]):
                warnings.append((field, "untilDepth above 1 is honoured at the root only"))

    for field in obj:
        if field not in KNOWN_FIELDS:
            warnings.append((field, "Unexpected or unused field, do you have a typo?"))
    ordered = sorted(set(turns))
    return AnalysisQuery(
        id=qid, size=n, initial_stones=stones, moves=moves, initial_player=initial,
        turns=tuple(ordered), priorities=tuple(priority_of.get(t, priority) for t in ordered),
        rules=rules, komi=komi, avoid=filters.get("avoid", ()), allow=filters.get("allow", ()),
        warnings=tuple(warnings), **settings, **include)
