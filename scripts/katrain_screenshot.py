"""Screenshot of KaTrain's window reviewing a game with ``tengen analysis`` as
its engine, for the README:
``xvfb-run -a -s "-screen 0 1400x1100x24" python scripts/katrain_screenshot.py
GAME.sgf docs/katrain.png --move N`` (KaTrain from ``pip install -e ".[katrain]"``;
Mesa's software OpenGL, ``LIBGL_ALWAYS_SOFTWARE=1``, is enough for Kivy).

KaTrain itself, unchanged, as a user meets it: a temporary HOME holds the
``~/.katrain/config.json`` the README describes (engine backend "custom",
``tengen analysis`` as its command, few visits so a CPU reviews the game in
minutes), KaTrain opens the SGF from its command line as ``katrain GAME.sgf``
does, analyses every move with the fast visits, goes to move N and asks for
KaTrain's extra analysis there (its A key), and the shot is taken once the
whole graph is filled and that position's search is done."""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from typing import Any

from PIL import Image


def katrain_config(package_config: str, command: str, visits: int,
                   fast_visits: int) -> dict[str, Any]:
    """KaTrain's own defaults with the README's engine settings: the same file a
    user edits, so the window shows what a user's set-up shows. With few visits
    KaTrain's "low visits" threshold (25) would hide every candidate's figures
    but the best one's: lowered as its Teaching/Analysis Settings allow."""
    with open(package_config) as f:
        config = json.load(f)
    config["engine"].update(backend="custom", altcommand=command, max_visits=visits,
                            fast_visits=fast_visits, max_time=600.0)
    config["trainer"]["low_visits"] = 3
    config["ui_state"].update(restoresize=True, size=[1300, 1000])
    return config


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sgf")
    ap.add_argument("png")
    ap.add_argument("--move", type=int, default=80, help="the position shown (moves played)")
    ap.add_argument("--visits", type=int, default=32,
                    help="KaTrain's max visits (the position shown)")
    ap.add_argument("--fast-visits", type=int, default=16,
                    help="KaTrain's fast visits (every position of the game, for the graph)")
    ap.add_argument("--command", default="tengen analysis --analysis-threads 1 --threads 1",
                    help="KaTrain's engine altcommand")
    ap.add_argument("--max-wait", type=float, default=1800.0,
                    help="seconds to wait for the analysis before giving up")
    ap.add_argument("--width", type=int, default=1000, help="the saved image's width")
    args = ap.parse_args()

    home = tempfile.mkdtemp(prefix="tengen-katrain-")
    os.environ["HOME"] = home                  # KaTrain and Kivy read ~ when imported
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    import katrain
    package_config = os.path.join(os.path.dirname(katrain.__file__), "config.json")
    os.makedirs(os.path.join(home, ".katrain"))
    with open(os.path.join(home, ".katrain", "config.json"), "w") as f:
        json.dump(katrain_config(package_config, args.command, args.visits,
                                 args.fast_visits), f, indent=1)
    sys.argv = [sys.argv[0], os.path.abspath(args.sgf)]   # as `katrain GAME.sgf`

    from kivy.clock import Clock
    from kivy.core.window import Window
    from katrain.__main__ import KaTrainApp

    failure: list[str] = []
    started = time.monotonic()

    class ShotApp(KaTrainApp):
        """KaTrain's app, watched from Kivy's clock until the shot is taken."""

        def on_start(self) -> None:
            super().on_start()
            self.stage = "analysing"
            self.settled = 0.0
            Clock.schedule_interval(self.watch, 1.0)

        def watch(self, _dt: float) -> None:
            game = self.gui.game
            nodes = [game.root]
            while nodes[-1].children:
                nodes.append(nodes[-1].children[0])
            done = sum(n.analysis_complete for n in nodes)
            if time.monotonic() - started > args.max_wait:
                failure.append(f"only {done} of {len(nodes)} positions analysed "
                               f"after {args.max_wait:.0f} s")
                self.finish()
            elif self.stage == "analysing":
                print(f"{time.monotonic() - started:6.0f} s: {done}/{len(nodes)} positions",
                      flush=True)
                if done == len(nodes) and len(nodes) > args.move:
                    self.gui("redo", args.move)
                    self.stage = "navigating"
            elif self.stage == "navigating":
                if game.current_node.depth == args.move:
                    self.gui("analyze-extra", "extra")     # the A key: max visits more here
                    self.stage = "deepening"
            elif self.stage == "deepening":
                node = game.current_node
                if self.gui.engine.is_idle() and node.analysis_complete \
                        and node.root_visits >= node.analysis_visits_requested:
                    self.settled += 1
                    if self.settled >= 3:            # the board and graph redrawn
                        self.shoot()

        def shoot(self) -> None:
            shot = Window.screenshot(os.path.join(home, "katrain.png"))
            image = Image.open(shot).convert("RGB")
            height = round(image.height * args.width / image.width)
            image = image.resize((args.width, height), Image.LANCZOS).quantize(colors=128)
            image.save(args.png, optimize=True)
            print(f"saved {args.png} ({os.path.getsize(args.png) // 1024} KB)", flush=True)
            self.finish()

        def finish(self) -> None:
            Clock.unschedule(self.watch)
            if self.gui.engine:
                self.gui.engine.shutdown(finish=None)   # ends tengen as KaTrain's close does
            self.stop()

    try:
        ShotApp().run()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if failure:
        sys.exit(f"katrain_screenshot: {failure[0]}")


if __name__ == "__main__":
    main()
