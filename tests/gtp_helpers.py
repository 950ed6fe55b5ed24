"""Helpers shared by the GTP tests: an output collector, an in-process
server session, and tiny random-weight model files for the search player."""

import threading

from tengen.gtp.config import EngineConfig, InitialGame
from tengen.gtp.protocol import LineReader
from tengen.gtp.server import build_server


class Collector:
    """The server's output stream; safe to read while a server thread writes."""

    def __init__(self):
        self.parts = []
        self.lock = threading.Lock()

    def write(self, text):
        with self.lock:
            self.parts.append(text)

    @property
    def text(self):
        with self.lock:
            return "".join(self.parts)

    def take(self):
        """Everything written since the last ``take``."""
        with self.lock:
            text = "".join(self.parts)
            self.parts = []
            return text


class Session:
    """An in-process server; ``raw(line)`` returns the exact output for one
    input line, ``ok``/``fail`` the text of a success/failure."""

    def __init__(self, **config):
        config.setdefault("player", "random")
        config.setdefault("seed", 1)
        config.setdefault("status_playouts", 64)
        setup = {k: config.pop(k) for k in ("size", "komi", "rules") if k in config}
        config["setup"] = InitialGame(**{"size": 9, **setup})
        self.server = build_server(EngineConfig(**config))
        self.out = Collector()
        self.reader = LineReader()

    def raw(self, line):
        self.server.handle_line(line, self.out, self.reader)
        return self.out.take()

    def response(self, line):
        """(ok, id, text) of the single response to ``line``."""
        text = self.raw(line)
        assert text.endswith("\n\n") and text.count("\n\n") == 1, repr(text)
        head, _, rest = text[:-2].partition("\n")
        status, body = head[0], head[1:]
        assert status in "=?"
        cid = ""
        while body[:1].isdigit():
            cid, body = cid + body[0], body[1:]
        body = body[1:] if body.startswith(" ") else body
        full = "\n".join(x for x in (body, rest) if x)
        return status == "=", cid, full

    def ok(self, line):
        good, _, text = self.response(line)
        assert good, f"{line!r} failed: {text}"
        return text

    def fail(self, line):
        good, _, text = self.response(line)
        assert not good, f"{line!r} should fail but answered {text!r}"
        return text

    def board(self):
        """The showboard picture as an ASCII board string (rows top first)."""
        lines = self.ok("showboard").split("\n")
        rows = [ln.split()[1:-1] for ln in lines[1:-2]]
        return "\n".join(" ".join(r) for r in rows)

    @property
    def engine(self):
        self.server.lookup("play")          # loads the Go commands
        return self.server.engine

    @property
    def game(self):
        return self.engine.game


def save_tiny_models(directory, seed):
    """(policy path, value path) as strings: random networks of width 8,
    weights drawn after ``torch.manual_seed(seed)``, saved in ``directory``."""
    import torch

    from nets.model import build, policy_config, save_model, value_config

    torch.manual_seed(seed)
    save_model(build(policy_config(width=8, layers=3, arch="plain")),
               directory / "policy.safetensors")
    save_model(build(value_config(width=8, layers=3, arch="plain", value_hidden=16,
                                  value_channels=4)),
               directory / "value.safetensors")
    return str(directory / "policy.safetensors"), str(directory / "value.safetensors")
