"""Sabaki, checked with Sabaki's own GTP client: the npm package
``@sabaki/gtp`` (its ``Controller`` and ``ControllerStateTracker``) starts
``tengen gtp`` with the shipped networks, syncs a 9x9 position as Sabaki's
engine syncer does, picks the analysis command Sabaki would pick, reads the
streamed ``kata-analyze`` lines through the ``command-sent`` event's
``subscribe`` as Sabaki does, and stops each analysis by sending another
command (Sabaki's abort is ``protocol_version``).

What is checked: Sabaki's way of reading an ``info`` line (re-implemented
here from its ``parseAnalysis``: the text split at ``info``, the
principal variation the trailing run of vertices) keeps every move tengen
prints for the command Sabaki sends (``kata-analyze B <interval>``); with
KataGo's switches the line carries ``pvVisits``, ``movesOwnership``,
``rootInfo`` and ``ownership`` where and as KataGo prints them; the
ownership is Black's where Black has walled off an area, seen from the
colour analysed; the engine answers the next command.

Skips when Node.js or ``@sabaki/gtp`` is absent (``.ci/run`` installs it
into a folder on ``NODE_PATH``)."""

import itertools
import json
import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js absent")

HANG_GUARD_S = 600          # a stuck engine fails the test instead of hanging the suite
INFO_LINES = 3              # analysis lines read before the abort
INTERVAL = "10"             # centiseconds between lines
# Black walls off the left side, White the right; Black to move (stones in
# equal numbers, played alternately from Black)
POSITION = """
. . . X . O . . .
. . . X . O . . .
. . . X . O . . .
. . . X . O . . .
. . . X . O . . .
. . . X . O . . .
. . . X . O . . .
. . . X . O . . .
. . . X . O . . .
"""
COLUMNS = "ABCDEFGHJ"
# Sabaki's setting engines.analyze_commands: it sends the first of these the engine lists
SABAKI_ANALYZE_COMMANDS = ["analyze", "kata-analyze", "lz-analyze"]
SWITCHES = ["ownership", "true", "ownershipStdev", "true", "movesOwnership", "true",
            "pvVisits", "true", "rootInfo", "true"]
REQUESTS = {
    "sabaki": ["B", INTERVAL],                        # what Sabaki itself sends
    "switches": ["B", INTERVAL, *SWITCHES],
    "white": ["W", INTERVAL, "ownership", "true"],
}

# Drives the engine as Sabaki's enginesyncer.js does; prints what it saw as JSON.
CLIENT = r"""
const {Controller, ControllerStateTracker} = require('@sabaki/gtp')
const {engine, size, komi, moves, candidates, requests, infos} = JSON.parse(process.argv[2])

async function main() {
  const controller = new Controller(engine[0], engine.slice(1))
  const tracker = new ControllerStateTracker(controller)
  const stderr = []
  controller.on('stderr', ({content}) => stderr.push(content))
  const out = {stderr}
  const listed = await controller.sendCommand({name: 'list_commands'})
  out.commands = listed.content.split('\n').map((x) => x.trim())
  // Sabaki's choice: the first of its analysis commands the engine lists
  const analyze = out.analyze = candidates.find((x) => out.commands.includes(x))
  if (analyze == null) throw new Error('no analysis command listed')
  const history = moves.map(([color, vertex]) => ({name: 'play', args: [color, vertex]}))
  await tracker.sync({komi, boardsize: [size, size], history})
  out.analyses = {}
  for (const [key, args] of Object.entries(requests)) {
    const lines = []
    let abort = null
    const watch = ({command, subscribe}) => {
      if (command.name !== analyze) return
      subscribe(({line}) => {
        if (line.startsWith('info ')) lines.push(line)
        if (lines.length >= infos && abort == null) {
          abort = controller.sendCommand({name: 'protocol_version'})
        }
      })
    }
    controller.on('command-sent', watch)
    const response = await tracker.queueCommand({name: analyze, args})
    controller.removeListener('command-sent', watch)
    const stop = abort == null ? null : await abort
    out.analyses[key] = {error: !!response.error, lines,
                         stop: stop && {error: !!stop.error, content: stop.content}}
  }
  const name = await tracker.queueCommand({name: 'name'})
  out.name = {error: !!name.error, content: name.content}
  await controller.stop(30000)
  console.log(JSON.stringify(out))
}

main().catch((err) => { console.error(err); process.exit(1) })
"""

VERTEX = re.compile(r"(?:[A-HJ-Za-hj-z][0-9]+|pass)$")
NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:e-?[0-9]+)?$")
# KataGo's keys that take a list; ownership and ownershipStdev belong to the line, not a move
LISTS = {"pv", "pvVisits", "pvEdgeVisits", "movesOwnership", "movesOwnershipStdev",
         "ownership", "ownershipStdev"}
LINE_KEYS = {"ownership", "ownershipStdev"}


def position_moves() -> list[tuple[str, str]]:
    """The plays that make ``POSITION``: Black's and White's stones alternately."""
    rows = POSITION.strip().splitlines()
    stones: dict[str, list[str]] = {"X": [], "O": []}
    for r, row in enumerate(rows):
        for c, mark in enumerate(row.split()):
            if mark in stones:
                stones[mark].append(f"{COLUMNS[c]}{len(rows) - r}")
    assert len(stones["X"]) == len(stones["O"])
    return [m for b, w in zip(stones["X"], stones["O"]) for m in (("B", b), ("W", w))]


def owner_sides() -> tuple[list[int], list[int]]:
    """Indices (from the top left, as KataGo prints a map) of the points on
    Black's side of the walls (its wall included) and on White's."""
    black, white = [], []
    for r, row in enumerate(POSITION.strip().splitlines()):
        marks = row.split()
        x, o = marks.index("X"), marks.index("O")
        black += [r * len(marks) + c for c in range(x + 1)]
        white += [r * len(marks) + c for c in range(o, len(marks))]
    return black, white


def kata_line(line: str) -> tuple[list[dict], dict | None, dict]:
    """A KataGo analysis line read key by key: (each ``info``'s fields,
    ``rootInfo``'s fields or None, the line's own maps such as
    ``ownership``).  A list key takes the vertices (``pv``) or numbers that
    follow it; any other key one value."""
    tokens = line.split()
    moves: list[dict] = []
    root: dict | None = None
    top: dict = {}
    current = top
    i = 0
    while i < len(tokens):
        key = tokens[i]
        i += 1
        if key == "info":
            current = {}
            moves.append(current)
            continue
        if key == "rootInfo":
            current = root = {}
            continue
        if key in LINE_KEYS:
            current = top
        assert key not in current, f"{key} twice in one entry of {line!r}"
        if key in LISTS:
            fits = VERTEX.match if key == "pv" else NUMBER.match
            values = []
            while i < len(tokens) and fits(tokens[i]):
                values.append(tokens[i] if key == "pv" else float(tokens[i]))
                i += 1
            current[key] = values
        else:
            current[key] = tokens[i] if key == "move" else float(tokens[i])
            i += 1
    return moves, root, top


def sabaki_variations(line: str) -> list[dict]:
    """The variations Sabaki reads from one ``info`` line, as its
    ``parseAnalysis`` (src/modules/analysis.js) does: the line split at
    ``info``, each part's principal variation the run of vertices that ends
    it (up to a pass), the words before ``pv`` its key-value pairs; a part
    with no such run, no ``winrate``, or a move that is not a board point
    (a pass) is dropped."""
    kept = []
    for part in re.split(r"\s*info\s+", line)[1:]:
        part = part.strip()
        pv = re.search(r"(pass|[A-Za-z]\d+)(\s+(pass|[A-Za-z]\d+))*$", part)
        if pv is None:
            continue
        words = part[:pv.start()].split()[:-1]
        fields = dict(zip(words[0::2], words[1::2]))
        if "winrate" not in fields or not re.fullmatch(r"[A-Za-z]\d+", fields.get("move", "")):
            continue
        kept.append({"move": fields["move"], "visits": int(fields["visits"]),
                     "winrate": float(fields["winrate"]),
                     "scoreLead": float(fields["scoreLead"]) if "scoreLead" in fields else None,
                     "pv": pv.group(0).split("pass")[0].split()})
    return kept


@pytest.fixture(scope="module")
def seen(tmp_path_factory):
    """What Sabaki's GTP client saw, as the client script prints it."""
    probe = subprocess.run(["node", "-e", "require('@sabaki/gtp')"], capture_output=True,
                           check=False)
    if probe.returncode:
        pytest.skip("@sabaki/gtp not installed for node")
    script = tmp_path_factory.mktemp("sabaki") / "client.js"
    script.write_text(CLIENT)
    setup = {"engine": [sys.executable, "-m", "tengen.cli", "gtp", "--size", "9",
                        "--threads", "1", "--seed", "1"],
             "size": 9, "komi": 7.5, "moves": position_moves(),
             "candidates": SABAKI_ANALYZE_COMMANDS,
             "requests": REQUESTS, "infos": INFO_LINES}
    res = subprocess.run(["node", str(script), json.dumps(setup)], capture_output=True,
                         text=True, cwd=ROOT, timeout=HANG_GUARD_S, check=False)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout)


def test_sabaki_picks_kata_analyze_from_the_commands_tengen_lists(seen):
    assert seen["analyze"] == "kata-analyze"
    assert "kata-analyze" in seen["commands"]


@pytest.mark.parametrize("request_key", list(REQUESTS))
def test_each_analysis_streams_lines_and_ends_when_sabaki_sends_another_command(
        seen, request_key):
    got = seen["analyses"][request_key]
    assert not got["error"], seen["stderr"][-5:]
    assert len(got["lines"]) >= INFO_LINES
    assert got["stop"] == {"error": False, "content": "2"}


def test_sabaki_keeps_every_board_move_tengen_prints_for_the_command_sabaki_sends(seen):
    for line in seen["analyses"]["sabaki"]["lines"]:
        moves, root, top = kata_line(line)
        assert moves and root is None and top == {}
        read = sabaki_variations(line)
        # Sabaki draws moves on the board: a pass is not one of its variations
        on_board = [m for m in moves if m["move"] != "pass"]
        assert [v["move"] for v in read] == [m["move"] for m in on_board]
        for v, m in zip(read, on_board):
            assert v["visits"] == m["visits"] and v["winrate"] == m["winrate"]
            assert v["scoreLead"] == m["scoreLead"]        # the shipped value network's lead
            # the variation as far as its first pass, as Sabaki cuts it
            pv = m["pv"][:m["pv"].index("pass")] if "pass" in m["pv"] else m["pv"]
            assert v["pv"] == pv and pv[0] == m["move"]
            assert 0.0 <= m["winrate"] <= 1.0 and m["visits"] >= 1


def test_katagos_switches_print_each_field_where_katago_prints_it(seen):
    for line in seen["analyses"]["switches"]["lines"]:
        moves, root, top = kata_line(line)
        # KataGo's order: every info (pv, pvVisits, then movesOwnership), rootInfo, ownership
        assert line.startswith("info ") and line.index(" rootInfo ") > line.rindex(" info ")
        assert line.index(" ownership ") > line.index(" rootInfo ")
        assert list(top) == ["ownership"] and len(top["ownership"]) == 81
        for m in moves:
            assert set(m) >= {"move", "visits", "utility", "winrate", "scoreLead", "prior",
                              "lcb", "order", "pv", "pvVisits", "movesOwnership"}
            keys = list(m)
            assert keys.index("pv") < keys.index("pvVisits") < keys.index("movesOwnership")
            # one count a move of the variation: the first the move's own, never rising
            visits = m["pvVisits"]
            assert len(visits) == len(m["pv"]) and visits[0] == m["visits"]
            assert all(a >= b >= 1 for a, b in itertools.pairwise(visits))
            assert len(m["movesOwnership"]) == 81
            assert all(-1.0 <= v <= 1.0 for v in m["movesOwnership"])
            assert m["utility"] == pytest.approx(2 * m["winrate"] - 1, abs=2e-6)
        assert root is not None and set(root) >= {"visits", "utility", "winrate", "scoreLead"}
        assert 0.0 <= root["winrate"] <= 1.0
        assert root["utility"] == pytest.approx(2 * root["winrate"] - 1, abs=2e-6)
        assert root["visits"] >= sum(m["visits"] for m in moves)


def test_ownership_is_blacks_on_blacks_side_of_the_walls_seen_from_the_colour_analysed(seen):
    black, white = owner_sides()
    for key, sign in (("switches", 1), ("white", -1)):
        for line in seen["analyses"][key]["lines"]:
            _, _, top = kata_line(line)
            own = top["ownership"]
            assert len(own) == 81 and all(-1.0 <= v <= 1.0 for v in own)
            assert all(sign * own[i] > 0 for i in black), (key, own)
            assert all(sign * own[i] < 0 for i in white), (key, own)


def test_after_each_of_blacks_moves_the_left_side_stays_blacks(seen):
    black, _ = owner_sides()
    for line in seen["analyses"]["switches"]["lines"]:
        moves, _, _ = kata_line(line)
        for m in moves:
            left = [m["movesOwnership"][i] for i in black]
            assert all(v > 0 for v in left), (m["move"], left)


def test_the_engine_answers_the_next_command_after_the_analyses(seen):
    assert seen["name"] == {"error": False, "content": "tengen"}
