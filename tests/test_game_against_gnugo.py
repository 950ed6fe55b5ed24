"""GNU Go as an independent referee of tengen's rules and scoring.

Random games are played move by move in tengen (simple ko, no suicide: GNU
Go's rules) and in ``gnugo --mode gtp --chinese-rules``:

* legality: before every move, tengen's set of legal points must equal GNU
  Go's ``all_legal``; and a stream of deliberately illegal attempts
  (occupied points, suicides, the ko retake whenever there is a ko point)
  is sent to both as real ``play`` commands, which both must refuse
  (GNU Go answers ``? illegal move``), while the move actually chosen is
  accepted by both; sometimes both sides pass while a ko point is set,
  after which the retake must be legal in both;
* captures: after every game (and at checkpoints during it) the stones on
  the two boards are the same (``list_stones``);
* scoring: the games are played until both sides pass, with random moves
  that never fill a player's own true eye, so at the end only eyes and seki
  liberties are empty.  The score is then checked two ways: tengen's area
  score must equal a Tromp-Taylor count done here, in plain Python, on GNU
  Go's board (an independent implementation on an independently maintained
  board); and it must equal GNU Go's own ``final_score`` whenever GNU Go
  marks no stone dead (then its Chinese counting is exactly area counting,
  eyes in seki included) -- most such games qualify, and the test checks
  that they do.
"""

import subprocess

import numpy as np
import pytest
from conftest import GNUGO, needs_gnugo

from engine import board as B
from engine.board import BLACK, EMPTY, PASS, WHITE
from engine.coords import all_points, format_gtp, parse_gtp
from engine.game import Game
from engine.playouts import random_move
from engine.rules import Rules

pytestmark = [needs_gnugo, pytest.mark.gnugo]

GNUGO_RULES = Rules("gnugo", "simple", False, "area")
NAME = {BLACK: "black", WHITE: "white"}


class GTP:
    """A GNU Go subprocess driven over GTP."""

    def __init__(self):
        self.proc = subprocess.Popen([GNUGO, "--mode", "gtp", "--chinese-rules"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)

    def send(self, command):
        """(success, answer text) of one command."""
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        lines = []
        while True:
            line = self.proc.stdout.readline()
            assert line, f"GNU Go died on {command!r}"
            if line == "\n" and lines:
                break
            lines.append(line.rstrip("\n"))
        text = "\n".join(lines)
        assert text[:1] in "=?", text
        return text[0] == "=", text[1:].strip()

    def ok(self, command):
        success, text = self.send(command)
        assert success, (command, text)
        return text

    def close(self):
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def gnugo():
    g = GTP()
    yield g
    g.close()


def vertices(text, n):
    return {parse_gtp(v, n) for v in text.split()}


def tromp_taylor(stones, n):
    """Area score (Black minus White) of ``{point: colour}`` on an empty
    n x n board, counted here from scratch."""
    pts = all_points(n)
    w = n + 2
    score = sum(1 if c == BLACK else -1 for c in stones.values())
    seen = set()
    for p in pts:
        if p in stones or p in seen:
            continue
        region, reach, todo = {p}, set(), [p]
        while todo:
            r = todo.pop()
            for q in (r - 1, r + 1, r - w, r + w):
                x, y = q % w - 1, q // w - 1
                if not (0 <= x < n and 0 <= y < n):
                    continue
                if q in stones:
                    reach.add(stones[q])
                elif q not in region:
                    region.add(q)
                    todo.append(q)
        seen |= region
        if reach == {BLACK}:
            score += len(region)
        elif reach == {WHITE}:
            score -= len(region)
    return score


def gnugo_stones(gtp, n):
    stones = {p: BLACK for p in vertices(gtp.ok("list_stones black"), n)}
    stones.update({p: WHITE for p in vertices(gtp.ok("list_stones white"), n)})
    return stones


def play_game(gtp, n, rng, counts):
    """One random game to the end in both programs, checking as it goes."""
    gtp.ok(f"boardsize {n}")
    gtp.ok("clear_board")
    gtp.ok("komi 0")
    game = Game(n, komi=0, rules=GNUGO_RULES)
    s = game.state
    rstate = np.array([rng.integers(1, 2 ** 62)], dtype=np.uint64)
    pts = all_points(n)
    for move in range(4 * n * n):
        c = game.to_move
        legal = {p for p in pts if game.legal(p, c)}
        assert vertices(gtp.ok(f"all_legal {NAME[c]}"), n) == legal, (n, move)
        # illegal attempts: the ko retake, a few suicides, an occupied point
        attempts = []
        if s[B.H_KO] != -1:
            attempts.append(("ko", int(s[B.H_KO])))
        empty_illegal = [p for p in pts if game.color_at(p) == EMPTY and p not in legal
                         and p != s[B.H_KO]]
        for p in rng.permutation(empty_illegal)[:2]:
            attempts.append(("suicide", int(p)))
        occupied = [p for p in pts if game.color_at(p) != EMPTY]
        if occupied and rng.random() < 0.3:
            attempts.append(("occupied", int(rng.choice(occupied))))
        for reason, p in attempts:
            assert game.why_illegal(p, c) == reason
            success, answer = gtp.send(f"play {NAME[c]} {format_gtp(p, n)}")
            assert not success and answer == "illegal move", (n, move, reason, p)
            counts[reason] += 1
        if s[B.H_KO] != -1 and rng.random() < 0.5:
            # both pass: the ko point is cleared, and the retake must now
            # be legal in both (checked by all_legal on the next turn)
            for side in (c, 3 - c):
                gtp.ok(f"play {NAME[side]} pass")
                game.play(PASS, side)
            counts["ko cleared by passes"] += 1
            continue
        # the move: random, legal, never filling an own eye
        p = int(random_move(s, c, rstate))
        gtp.ok(f"play {NAME[c]} {format_gtp(p, n)}")
        game.play(p, c)
        counts["moves"] += 1
        if move % 50 == 49:
            assert gnugo_stones(gtp, n) == game.stones()
        if game.is_over:
            break
    assert game.is_over, "random game did not end"
    stones = gnugo_stones(gtp, n)
    assert stones == game.stones()
    score = game.area_score()
    assert score == tromp_taylor(stones, n)
    counts["games"] += 1
    if gtp.ok("final_status_list dead") == "":
        answer = gtp.ok("final_score")
        theirs = 0.0 if answer == "0" else float(answer[2:]) * (1 if answer[0] == "B" else -1)
        assert score == theirs, (n, answer, score)
        counts["scores compared with GNU Go"] += 1


@pytest.mark.parametrize("n,games", [(5, 60), (7, 30), (9, 20), (13, 8), (19, 4)])
def test_random_games_agree_with_gnugo(gnugo, n, games):
    rng = np.random.default_rng(1000 + n)
    counts = {"moves": 0, "games": 0, "ko": 0, "suicide": 0, "occupied": 0,
              "ko cleared by passes": 0, "scores compared with GNU Go": 0}
    for _ in range(games):
        play_game(gnugo, n, rng, counts)
    assert counts["games"] == games
    assert counts["suicide"] >= 100 and counts["occupied"] >= 100, counts
    assert counts["ko"] >= 5 and counts["ko cleared by passes"] >= 2, counts
    assert counts["scores compared with GNU Go"] >= games / 2, counts

