"""The JSON lines tengen answers with, in KataGo's shapes.

Every line is one JSON object with its keys sorted and no spaces, as
KataGo's writer prints them, and numbers rounded to 8 significant digits
as KataGo's are.  An analysis response's figures come for the side to
move (``analyst.TurnResult``) and are turned here to the side the query
asks for, ``reportAnalysisWinratesAs``: BLACK, WHITE or SIDETOMOVE (the
root's side to move): win rates and lcb as ``1 - x``, utility and scores
as ``-x``, ownership negated for White.
"""

import json

from .analyst import MoveResult, TurnResult

PRECISION = 8           # significant digits, as KataGo's OUTPUT_PRECISION


def line(obj: dict) -> str:
    """``obj`` as one line of the protocol (no newline)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def _num(x: float) -> float:
    return float(f"{x:.{PRECISION}g}") + 0.0        # + 0.0: no "-0.0"


def no_results(query_id: str, turn: int) -> dict:
    """The final response of a turn terminated before it was searched."""
    return {"id": query_id, "turnNumber": turn, "isDuringSearch": False, "noResults": True}


def warning(query_id: str, field: str, message: str) -> dict:
    return {"id": query_id, "field": field, "warning": message}


def turn_error(query_id: str, turn: int, message: str) -> dict:
    """A turn whose analysis failed (its networks would not load, ...): an
    error in KataGo's shape that also closes the turn for the client."""
    return {"id": query_id, "turnNumber": turn, "field": "id", "error": message}


def analysis(query_id: str, turn: int, result: TurnResult, perspective: str,
             during_search: bool) -> dict:
    """An analysis response for ``perspective`` (BLACK, WHITE, SIDETOMOVE)."""
    frame = result.current_player if perspective == "SIDETOMOVE" else perspective[0]
    flip = frame != result.current_player
    black = frame == "B"

    def rate(x: float) -> float:
        return _num(1 - x if flip else x)

    def signed(x: float) -> float:
        return _num(-x if flip else x)

    def owned(grid: list) -> list:
        return [_num(v if black else -v) for v in grid]

    def scores(obj: dict, lead: float | None, stdev: float | None) -> None:
        if lead is not None:
            obj["scoreLead"] = obj["scoreMean"] = signed(lead)
        if stdev is not None:
            obj["scoreStdev"] = _num(stdev)

    def move_info(order: int, m: MoveResult) -> dict:
        info = {"move": m.move, "visits": m.visits, "edgeVisits": m.visits,
                "winrate": rate(m.winrate), "utility": signed(m.utility), "lcb": rate(m.lcb),
                "utilityLcb": signed(2 * m.lcb - 1), "prior": _num(m.prior), "order": order,
                "pv": m.pv}
        scores(info, m.score_lead, m.score_stdev)
        if m.pv_visits is not None:
            info["pvVisits"] = info["pvEdgeVisits"] = m.pv_visits
        if m.ownership is not None:
            info["ownership"] = owned(m.ownership)
        return info

    root = {"visits": result.visits, "winrate": rate(result.winrate),
            "utility": signed(result.utility), "lcb": rate(result.lcb),
            "currentPlayer": result.current_player, "thisHash": result.this_hash,
            "symHash": result.sym_hash}
    scores(root, result.score_lead, result.score_stdev)
    out = {"id": query_id, "turnNumber": turn, "isDuringSearch": during_search,
           "moveInfos": [move_info(k, m) for k, m in enumerate(result.moves)], "rootInfo": root}
    if result.ownership is not None:
        out["ownership"] = owned(result.ownership)
    if result.policy is not None:
        out["policy"] = [_num(p) for p in result.policy]
    return out
