"""KaTrain, checked the way a user meets it: KaTrain's own engine client
(``katrain.core.engine.KataGoEngine``, engine setting ``altcommand``) starts
``tengen analysis`` as a subprocess, loads a real 19x19 game, analyses every
position, and plays moves with its policy-reading AI opponents; everything
KaTrain shows (win rates, the score, points lost per move, candidate moves,
territory, the policy) must be tengen's answer, response for response.

Skips when KaTrain is not installed (``pip install -e ".[katrain]"``)."""

import copy
import os
import shlex
import sys
import threading
import time

import pytest

os.environ.setdefault("KIVY_NO_ARGS", "1")          # Kivy must not read pytest's arguments
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
pytest.importorskip("katrain.core.engine",
                    reason="KaTrain is not installed (pip install -e \".[katrain]\")")

from katrain.core.ai import generate_ai_move  # noqa: E402
from katrain.core.base_katrain import KaTrainBase  # noqa: E402
from katrain.core.constants import (AI_INFLUENCE, AI_LOCAL, AI_PICK, AI_POLICY,  # noqa: E402
                                    AI_RANK, AI_TENUKI, AI_TERRITORY, AI_WEIGHTED,
                                    OUTPUT_KATAGO_STDERR)
from katrain.core.engine import KataGoEngine  # noqa: E402
from katrain.core.game import Game, KaTrainSGF  # noqa: E402
from katrain.core.utils import var_to_grid  # noqa: E402

# the first 40 moves of a held-out game of two 9-dan amateurs (tygem-2011-11.zip: 475753618.sgf)
GAME = ("(;GM[1]FF[4]CA[UTF-8]SZ[19]KM[6.5]PC[Tygem]GN[475753618]DT[2011-11-01]PB[cnyfy2009]"
        "BR[9d]PW[joketo]WR[9d]RE[W+R]"
        ";B[qd];W[oc];B[pe];W[dp];B[pp];W[dd];B[kc];W[nq];B[qm];W[qq];B[pq];W[qp];B[po];W[pr]"
        ";B[or];W[qr];B[oq];W[rn];B[qn];W[rm];B[rl];W[qo];B[sm];W[ro];B[pl];W[qk];B[ql];W[on]"
        ";B[np];W[pn];B[nl];W[mn];B[lp];W[kn];B[jp];W[pg];B[nd];W[qi];B[ll];W[ok])")
MOVES = 40
VISITS = 16
POLICY_AIS = (AI_POLICY, AI_RANK, AI_WEIGHTED, AI_PICK, AI_LOCAL, AI_TENUKI, AI_INFLUENCE,
              AI_TERRITORY)
HANG_GUARD_S = 900          # a stuck engine fails the test instead of hanging the suite


class HeadlessKaTrain(KaTrainBase):
    """KaTrain without its window (as KaTrain's own tests run it), its log kept."""

    def __init__(self):
        self.logged: list[tuple[int, str]] = []
        self.popups: list[tuple] = []
        super().__init__(force_package_config=True, debug_level=0)

    def log(self, message, level=0):
        self.logged.append((level, str(message)))

    def __call__(self, *message):           # the GUI's message loop: an engine error popup
        self.popups.append(message)


class RecordingEngine(KataGoEngine):
    """KaTrain's engine client, unchanged, keeping a copy of each response it
    hands to KaTrain, by the node it analyses."""

    def __init__(self, katrain, config):
        self.responses: list[tuple] = []       # (node, response, during search, refined move)
        super().__init__(katrain, config)

    def request_analysis(self, analysis_node, callback, *args, **kwargs):
        refined = kwargs.get("next_move")

        def recording(result, partial):
            self.responses.append((analysis_node, copy.deepcopy(result), partial, refined))
            callback(result, partial)
        super().request_analysis(analysis_node, recording, *args, **kwargs)

    def final(self, node) -> dict:
        """The last final answer for ``node``'s position itself."""
        found = [r for n, r, partial, refined in self.responses
                 if n is node and not partial and refined is None]
        assert found, f"no final response for {node}"
        return found[-1]


def wait_for(done, what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD_S
    while not done():
        assert time.monotonic() < deadline, f"KaTrain is still waiting for {what}"
        time.sleep(0.2)


def mainline(game: Game) -> list:
    nodes = [game.root]
    while nodes[-1].children:
        nodes.append(nodes[-1].children[0])
    return nodes


@pytest.fixture(scope="module")
def katrain_session():
    """KaTrain with tengen as its engine, the game loaded and analysed."""
    katrain = HeadlessKaTrain()
    config = {**katrain.config("engine"),
              "backend": "custom",
              "altcommand": f"{shlex.quote(sys.executable)} -m tengen.cli analysis "
                            "--analysis-threads 1 --threads 1",
              "max_visits": VISITS, "fast_visits": VISITS, "max_time": 600.0}
    engine = RecordingEngine(katrain, config)
    game = Game(katrain, engine, move_tree=KaTrainSGF.parse_sgf(GAME))
    nodes = mainline(game)
    wait_for(lambda: all(n.analysis_complete for n in nodes), "the game's analysis")
    yield katrain, engine, game, nodes
    stopped = threading.Thread(target=engine.shutdown, kwargs={"finish": False})
    stopped.start()
    stopped.join(timeout=HANG_GUARD_S)
    assert not stopped.is_alive(), "KaTrain could not stop the engine (it outlived its shell)"


def test_katrain_starts_tengen_from_its_altcommand_and_reads_its_stderr(katrain_session):
    katrain, engine, _, nodes = katrain_session
    stderr = [text for level, text in katrain.logged if level == OUTPUT_KATAGO_STDERR]
    assert any(text.startswith("tengen analysis:") for text in stderr)
    assert "Started, ready to begin handling requests" in stderr
    assert not katrain.popups, katrain.popups
    assert len(nodes) == MOVES + 1
    assert all(engine.final(n)["rootInfo"]["visits"] >= VISITS for n in nodes)


def test_the_win_rate_graph_and_the_score_are_tengens(katrain_session):
    """KaTrain's graph plots each position's ``winrate`` and ``score``."""
    _, engine, _, nodes = katrain_session
    for node in nodes:
        root = engine.final(node)["rootInfo"]
        assert node.winrate == root["winrate"] and node.score == root["scoreLead"]
        assert root["currentPlayer"] == node.next_player
    assert len({round(n.winrate, 6) for n in nodes}) > MOVES // 2     # a course, not a constant


def test_points_lost_per_move_are_tengens_score_leads_differenced(katrain_session):
    _, engine, _, nodes = katrain_session
    for parent, node in zip(nodes, nodes[1:]):
        sign = 1 if node.move.player == "B" else -1
        lead_before = engine.final(parent)["rootInfo"]["scoreLead"]
        lead_after = engine.final(node)["rootInfo"]["scoreLead"]
        assert node.points_lost == pytest.approx(sign * (lead_before - lead_after), abs=1e-9)


def test_candidate_moves_are_tengens_move_infos(katrain_session):
    """KaTrain's candidates: the response's moveInfos in their order; the
    move played carries the next position's root figures when that search
    saw more of it (KaTrain's own rule)."""
    _, engine, _, nodes = katrain_session
    for k, node in enumerate(nodes):
        infos = {m["move"]: m for m in engine.final(node)["moveInfos"]}
        candidates = node.candidate_moves
        ranked = [c["move"] for c in candidates if c["order"] < len(infos)]
        played = nodes[k + 1].move.gtp() if k + 1 < len(nodes) else None
        assert ranked == [m for m, _ in sorted(infos.items(), key=lambda i: i[1]["order"])]
        for c in candidates:
            if c["move"] == played and c["visits"] != infos.get(played, {}).get("visits"):
                source = engine.final(nodes[k + 1])["rootInfo"]
            else:
                source = infos[c["move"]]
            assert (c["winrate"], c["scoreLead"], c["visits"]) == \
                (source["winrate"], source["scoreLead"], source["visits"])
            sign = 1 if node.next_player == "B" else -1
            assert c["pointsLost"] == pytest.approx(
                sign * (node.score - source["scoreLead"]), abs=1e-9)


def test_territory_and_the_policy_are_tengens_maps(katrain_session):
    _, engine, _, nodes = katrain_session
    for node in nodes:
        response = engine.final(node)
        assert node.ownership == response["ownership"] and len(node.ownership) == 361
        assert node.policy == response["policy"] and len(node.policy) == 362
    # KaTrain reads the maps row by row from the top: a Black stone is Black's
    last = nodes[-1]
    grid = var_to_grid(last.ownership, (19, 19))
    black = [m for n in nodes[1:] for m in n.move_with_placements if m.player == "B"]
    assert sum(grid[m.coords[1]][m.coords[0]] > 0 for m in black) > 0.8 * len(black)


def test_katrains_policy_opponents_play_tengens_policy(katrain_session):
    """Each AI that reads the policy plays one move from the end of the game:
    a move tengen's policy allows; ``ai:policy`` plays its favourite."""
    katrain, engine, game, nodes = katrain_session
    game.set_current_node(nodes[-1])
    for strategy in POLICY_AIS:
        settings = dict(katrain.config(f"ai/{strategy}"))
        if strategy == AI_POLICY:
            settings["opening_moves"] = 0          # past KaTrain's random opening
        node = game.current_node
        move, played = generate_ai_move(game, strategy, settings)
        assert played is not None and played.parent is node and played.move == move
        policy = engine.final(node)["policy"]
        grid = var_to_grid(policy, (19, 19))
        assert move.is_pass or grid[move.coords[1]][move.coords[0]] > 0, (strategy, move)
        if strategy == AI_POLICY:
            best = max(range(361), key=lambda i: policy[i])
            assert (move.coords[0], 18 - move.coords[1]) == (best % 19, best // 19)
    wait_for(lambda: game.current_node.analysis_complete, "the last AI move's analysis")
