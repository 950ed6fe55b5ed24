"""GTP through a real ``python gtp_server.py`` process: the byte-level framing,
start-up, exit, the ``tengen gtp`` entry point, and a fuzz run of thousands of
random and malformed lines checked against a shadow game."""

import pathlib
import random
import subprocess
import sys

from engine.ascii import to_ascii
from engine.board import BLACK, WHITE
from engine.coords import CoordinateError, format_gtp, parse_gtp
from engine.game import Game
from engine.rules import rules_named
from engine.sgf.read import parse_sgf

ROOT = pathlib.Path(__file__).resolve().parent.parent
SERVER = [sys.executable, str(ROOT / "gtp_server.py"), "--player", "random"]


def run_server(data, *args, cwd=None, timeout=300):
    return subprocess.run(SERVER + list(args), input=data, capture_output=True,
                          timeout=timeout, cwd=cwd)


def test_framing_through_a_pipe():
    data = (b"1 protocol_version\r\n"
            b"# a comment line\r\n"
            b"\r\n"
            b"2\tname  # trailing\r\n"
            b"   \t\r\n"
            b"boardsize 9\n"
            b"3 play B\tC3\r\n"
            b"4 play w c3\n"
            b"5 frobnicate\n"
            b"6 genmove w\n")
    proc = run_server(data, "--seed", "4")
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    assert "\r" not in out
    responses = out[:-2].split("\n\n")
    assert responses[:6] == ["=1 2", "=2 tengen", "=", "=3", "?4 illegal move", "?5 unknown command"]
    assert responses[6].startswith("=6 ") and len(responses) == 7
    assert out.endswith("\n\n")


def test_end_of_input_and_quit():
    proc = run_server(b"")
    assert proc.returncode == 0 and proc.stdout == b""
    proc = run_server(b"name")            # no newline at the very end
    assert proc.returncode == 0 and proc.stdout == b"= tengen\n\n"
    proc = run_server(b"1 quit\n2 name\n")
    assert proc.returncode == 0 and proc.stdout == b"=1\n\n"


def test_start_up_loads_no_engine_until_a_go_command():
    """``name``/``protocol_version`` answer before Numba, the board or
    PyTorch are imported; the first Go command loads the engine."""
    script = (
        "import sys\n"
        "from tengen.gtp.config import EngineConfig\n"
        "from tengen.gtp.server import build_server\n"
        "from tengen.gtp.protocol import LineReader\n"
        "class Out:\n"
        "    def write(self, text): sys.stdout.write(text)\n"
        "server, reader = build_server(EngineConfig()), LineReader()\n"
        "for line in ('protocol_version', 'name'):\n"
        "    server.handle_line(line, Out(), reader)\n"
        "print(sorted(m for m in ('numba', 'torch', 'engine.board') if m in sys.modules))\n"
        "server.handle_line('boardsize 9', Out(), reader)\n"
        "print('engine.board' in sys.modules, 'torch' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().split("\n") == ["= 2", "", "= tengen", "", "[]", "=", "",
                                                "True False", ""]


def test_tengen_gtp_entry_point():
    proc = subprocess.run([sys.executable, "-m", "tengen.cli", "gtp", "--player", "random",
                           "--size", "13", "--komi", "5.5"],
                          input=b"name\nshowboard\nquit\n", capture_output=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    assert out.startswith("= tengen\n\n=\n   A B C D E F G H J K L M N\n13 ")
    assert "komi 5.5" in out


def test_bad_command_line_is_refused():
    proc = subprocess.run(SERVER + ["--size", "30"], capture_output=True, timeout=60)
    assert proc.returncode == 2 and b"board size must be 2..25" in proc.stderr
    proc = subprocess.run(SERVER + ["--player", "oracle"], capture_output=True, timeout=60)
    assert proc.returncode == 2 and b"invalid choice" in proc.stderr


# ---- fuzz -----------------------------------------------------------------------

KNOWN = {"protocol_version", "name", "version", "known_command", "list_commands", "quit",
         "boardsize", "clear_board", "komi", "play", "genmove", "reg_genmove",
         "kgs-genmove_cleanup", "undo", "showboard", "fixed_handicap", "place_free_handicap",
         "set_free_handicap", "final_score", "final_status_list", "time_settings", "time_left",
         "kgs-time_settings", "kgs-rules", "loadsgf", "printsgf", "gogui-analyze_commands"}
CONTROL = [chr(c) for c in list(range(0, 9)) + list(range(11, 32)) + [127]]
COLOURS = ["b", "w", "black", "white", "B", "W", "Black", "WHITE"]
JUNK = ["x", "red", "Z99", "A0", "I5", "foo", "A26", "5A", "-1", "1e3", "nan", "3.5", "é", "漢字"]


class Fuzzer:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.size = 9

    def vertex(self):
        r = self.rng.random()
        if r < 0.8:
            x, y = self.rng.randrange(self.size), self.rng.randrange(self.size)
            return format_gtp((y + 1) * (self.size + 2) + x + 1, self.size)
        return "pass" if r < 0.88 else self.rng.choice(JUNK)

    def colour(self):
        return self.rng.choice(COLOURS) if self.rng.random() < 0.95 else self.rng.choice(JUNK)

    def number(self, lo, hi):
        return str(self.rng.randint(lo, hi)) if self.rng.random() < 0.9 else self.rng.choice(JUNK)

    def words(self):
        rng = self.rng
        table = [
            (30, lambda: ["play", self.colour(), self.vertex()]),
            (10, lambda: ["genmove", self.colour()]),
            (2, lambda: ["reg_genmove", self.colour()]),
            (2, lambda: ["kgs-genmove_cleanup", self.colour()]),
            (8, lambda: ["undo"]),
            (3, lambda: ["boardsize", self.number(1, 26) if rng.random() < 0.3 else str(rng.randint(2, 9))]),
            (2, lambda: ["clear_board"]),
            (3, lambda: ["komi", rng.choice(["6.5", "7.5", "0", "-2", "0.5"]) if rng.random() < 0.9
                         else rng.choice(JUNK)]),
            (2, lambda: ["fixed_handicap", self.number(0, 10)]),
            (2, lambda: ["place_free_handicap", self.number(0, 12)]),
            (2, lambda: ["set_free_handicap"] + [self.vertex() for _ in range(rng.randint(0, 5))]),
            (5, lambda: ["showboard"]),
            (3, lambda: ["printsgf"]),
            (1, lambda: ["final_score"]),
            (1, lambda: ["final_status_list", rng.choice(["alive", "dead", "seki", "x"])]),
            (1, lambda: ["time_settings", self.number(0, 900), self.number(0, 60), self.number(0, 25)]),
            (1, lambda: ["time_left", self.colour(), self.number(0, 900), self.number(0, 25)]),
            (1, lambda: ["kgs-time_settings", rng.choice(["none", "absolute", "byoyomi", "canadian", "x"])]
             + [self.number(0, 600) for _ in range(rng.randint(0, 3))]),
            (2, lambda: ["kgs-rules", rng.choice(["chinese", "japanese", "aga", "new_zealand", "x"])]),
            (1, lambda: ["loadsgf", "no-such-file.sgf"] + ([self.number(0, 5)] if rng.random() < 0.5 else [])),
            (3, lambda: [rng.choice(["name", "version", "protocol_version", "list_commands",
                                     "gogui-analyze_commands"])]),
            (1, lambda: ["known_command", rng.choice(sorted(KNOWN) + JUNK)]),
            (2, lambda: [rng.choice(["frobnicate", "genmove_black", "lz-analyze", "help", "PLAY_"])]),
        ]
        weights = [w for w, _ in table]
        words = rng.choices(table, weights)[0][1]()
        if rng.random() < 0.05:
            words = words + [rng.choice(JUNK)] if rng.random() < 0.6 else words[:-1] or words
        if words[0] == "boardsize" and len(words) == 2 and words[1].isdigit() and 2 <= int(words[1]) <= 25:
            self.size = int(words[1])
        return words

    def decorate(self, words):
        """A raw line whose GTP preprocessing gives back ``words``; the id."""
        rng = self.rng
        words = [w.upper() if rng.random() < 0.1 else w for w in words]
        seps = [rng.choice([" ", "  ", "\t", " \t "]) for _ in words]
        line = "".join(w + s for w, s in zip(words, seps)).rstrip(" \t")
        cid = ""
        if rng.random() < 0.4:
            cid = str(rng.randint(0, 10 ** 6))
            line = cid + rng.choice([" ", "\t"]) + line
        if rng.random() < 0.2:
            line = rng.choice([" ", "\t", ""]) + line
        if rng.random() < 0.2:
            at = rng.randrange(len(line) + 1)
            line = line[:at] + rng.choice(CONTROL) + line[at:]
        if rng.random() < 0.15:
            line += " # comment " + rng.choice(JUNK)
        if rng.random() < 0.2:
            line += "\r"
        return line, cid

    def garbage(self):
        rng = self.rng
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 \t#=?-_.;:'\"()[]{}éü漢²٣" + "".join(CONTROL)
        while True:
            line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
            words = _clean(line).split()
            if words and _is_id(words[0]):
                words = words[1:]
            if not words or words[0].lower() not in KNOWN:
                return line


def _is_id(word):
    return word.isascii() and word.isdigit()


def _clean(line):
    for ch in CONTROL:
        line = line.replace(ch, "")
    return line.split("#")[0].replace("\t", " ").strip()


def _replayed(game, rules):
    g = Game(game.size, game.komi, rules)
    if game.setup or game.first_to_move != BLACK:
        g.set_setup(dict(game.setup), game.first_to_move)
    g.handicap = game.handicap
    for c, p in game.moves:
        g.play(p, c)
    return g


def test_fuzz_random_and_malformed_lines(tmp_path):
    fz = Fuzzer(seed=20240611)
    lines, commands = [], []     # commands: (words or None for garbage, expected id)
    for _ in range(4000):
        r = fz.rng.random()
        if r < 0.1:
            line = fz.garbage()
            words = None
            cid = ""
            cleaned = _clean(line).split()
            if cleaned and _is_id(cleaned[0]):
                cid = str(int(cleaned[0]))
        elif r < 0.14:
            line, words, cid = fz.rng.choice(["", "   ", "\t", "# note", "  # note\r"]), None, ""
        else:
            words = fz.words()
            line, cid = fz.decorate(words)
            cid = str(int(cid)) if cid else ""
        lines.append(line)
        if _clean(line):
            commands.append((words, cid))
    data = "\n".join(lines).encode("utf-8") + b"\n"
    proc = run_server(data, "--size", "9", "--seed", "7", "--status-playouts", "8", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()[-3000:]
    out = proc.stdout.decode("utf-8")
    assert out.endswith("\n\n")
    responses = out[:-2].split("\n\n")
    assert len(responses) == len(commands)

    shadow, komi, rules = Game(9, 7.5), 7.5, rules_named("chinese")
    checked = {"play": 0, "showboard": 0, "printsgf": 0, "undo": 0}
    for (words, cid), response in zip(commands, responses):
        head, _, rest = response.partition("\n")
        assert head[:1] in "=?", response
        assert head[1:].split(" ")[0] == cid, (words, response)
        ok = head[0] == "="
        text = "\n".join(x for x in (head[1 + len(cid):].strip(), rest) if x)
        if words is None:
            assert not ok, response
            continue
        name, args = words[0].lower(), words[1:]
        color = {"b": BLACK, "black": BLACK, "w": WHITE, "white": WHITE}.get(args[0].lower()) if args else None
        if name == "play" and len(args) == 2 and color:
            try:
                p = parse_gtp(args[1], shadow.size)
            except CoordinateError:
                assert not ok and text == "invalid coordinate"
                continue
            assert ok == (shadow.why_illegal(p, color) is None), (words, response, to_ascii(shadow))
            checked["play"] += 1
            if ok:
                shadow.play(p, color)
        elif name in ("genmove", "kgs-genmove_cleanup") and ok:
            assert text != "resign"
            shadow.play(parse_gtp(text, shadow.size), color)
        elif name == "reg_genmove" and ok:
            assert shadow.legal(parse_gtp(text, shadow.size), color)
        elif name == "undo" and not args:
            assert ok == bool(shadow.moves)
            checked["undo"] += 1
            if ok:
                shadow.undo()
        elif name == "boardsize" and ok:
            shadow = Game(int(args[0]), komi, rules)
        elif name == "clear_board" and ok:
            shadow = Game(shadow.size, komi, rules)
        elif name == "komi" and ok:
            komi = float(args[0])
            shadow.komi = komi
        elif name in ("fixed_handicap", "place_free_handicap") and ok:
            shadow.place_handicap([parse_gtp(v, shadow.size) for v in text.split()])
        elif name == "set_free_handicap" and ok:
            shadow.place_handicap([parse_gtp(v, shadow.size) for v in args])
        elif name == "kgs-rules" and ok:
            rules = rules_named(args[0])
            shadow = _replayed(shadow, rules)
        elif name == "loadsgf":
            assert not ok
        elif name == "showboard" and ok:
            rows = [" ".join(ln.split()[1:-1]) for ln in text.split("\n")[1:-2]]
            assert "\n".join(rows) == to_ascii(shadow)
            assert text.split("\n")[-1].startswith(("black to move", "white to move")[shadow.to_move - 1])
            checked["showboard"] += 1
        elif name == "printsgf" and ok and not args:
            record = parse_sgf(text)
            assert (record.size, record.komi) == (shadow.size, shadow.komi)
            assert record.moves == shadow.moves and record.setup == shadow.setup
            checked["printsgf"] += 1
    assert min(checked.values()) > 20, checked
