"""The review's PNG graph: players' names in any script (a real game from a
Chinese server, its names in Han characters) drawn with fonts that have
their glyphs, or replaced when no font here has them, never as boxes and
never with warnings; mistake labels that do not overlap."""

import contextlib
import io
import logging
import warnings
from pathlib import Path

import pytest
from matplotlib import font_manager
from review_helpers import centre_value, tiny_config

from nets import device as device_module
from nets.inference import Networks
from tengen.cli import main
from tengen.review import plot
from tengen.review.schema import GameReview, MoveReview, Position

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "kejie-leesedol.sgf"


def cjk_font_here() -> bool:
    return plot.covering_font(frozenset("柯洁李世石")) is not None


def families_have_every_glyph(text: str, families: list[str] | None) -> bool:
    paths = []
    for family in families or ["sans-serif"]:
        props = font_manager.FontProperties()
        props.set_family([family])
        paths.append(font_manager.findfont(props, fallback_to_default=False))
    return all(c.isspace() or any(ord(c) in plot._charmap(p) for p in paths) for c in text)


def review_of(black: str, white: str, mistakes: dict[int, float]) -> GameReview:
    """A 40-move review whose moves ``mistakes`` lost that much win rate."""
    positions = [Position(k, "BW"[k % 2], 0.5, 0.0, 10) for k in range(41)]
    moves = []
    for k in range(1, 41):
        loss = mistakes.get(k, 0.0)
        moves.append(MoveReview(number=k, color="BW"[(k - 1) % 2], move="D4",
                                winrate_before=0.6, winrate_after=0.6 - loss, score_before=1.0,
                                score_after=1.0, best_move="C3", best_pv=["C3"], played_visits=1,
                                visits=10, policy_prior=0.1, policy_rank=2, phase="opening",
                                klass="blunder" if loss else "good"))
    players = {c: {"mistakes": [m.number for m in moves if m.klass != "good" and m.color == c]}
               for c in "BW"}
    return GameReview(name="g", source="g.sgf", fingerprint="fp",
                      game={"size": 19, "black": black, "white": white}, settings={},
                      positions=positions, moves=moves, players=players)


@contextlib.contextmanager
def nothing_reported():
    """Fails when matplotlib warns or logs anything inside (missing glyphs)."""
    with warnings.catch_warnings(record=True) as caught, \
            _log_capture(logging.getLogger("matplotlib")) as logged:
        warnings.simplefilter("always")
        yield
    assert not [str(w.message) for w in caught]
    assert not logged.getvalue()


@contextlib.contextmanager
def _log_capture(logger):
    text = io.StringIO()
    handler = logging.StreamHandler(text)
    handler.setLevel(logging.DEBUG - 9)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    try:
        yield text
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_cjk_names_are_drawn_with_a_font_that_has_every_glyph_and_nothing_is_printed():
    if not cjk_font_here():
        pytest.skip("no CJK font on this system (.ci/run installs fonts-wqy-microhei)")
    review = review_of("柯洁", "李世石", {5: 0.3})
    with nothing_reported():
        fig = plot.plot_figure(review)
        png = io.BytesIO()
        fig.savefig(png, format="png")
    title = fig.axes[0].title
    assert title.get_text() == "柯洁 (B) vs 李世石 (W)"
    assert families_have_every_glyph(title.get_text(), title.get_fontfamily())
    assert plot.missing_glyphs("柯洁")         # the default font alone would draw boxes


def test_a_name_no_font_here_can_draw_becomes_its_colours_name(monkeypatch):
    monkeypatch.setattr(plot, "covering_font", lambda chars: None)
    review = review_of("柯洁", "Lee Sedol", {5: 0.3})
    with nothing_reported():
        fig = plot.plot_figure(review)
        fig.savefig(io.BytesIO(), format="png")
    assert fig.axes[0].title.get_text() == "Black (B) vs Lee Sedol (W)"


def test_latin_names_keep_the_default_font():
    text, families = plot.title_of(review_of("amigoosh", "Zoë", {}))
    assert text == "amigoosh (B) vs Zoë (W)" and families is None


def test_labels_of_mistakes_close_together_do_not_overlap():
    review = review_of("A", "B", {20: 0.30, 21: 0.31, 22: 0.32, 23: 0.33, 24: 0.34, 25: 0.35})
    fig = plot.plot_figure(review)
    renderer = fig.canvas.get_renderer()
    boxes = [plot.label_box(t, renderer) for t in fig.axes[0].texts]
    assert len(boxes) == 6
    for i, a in enumerate(boxes):
        assert fig.bbox.x0 <= a.x0 and a.x1 <= fig.bbox.x1
        assert fig.bbox.y0 <= a.y0 and a.y1 <= fig.bbox.y1
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)


def test_reviewing_a_real_game_from_a_chinese_server_prints_only_the_summary(
        tmp_path, monkeypatch, capsys):
    if not cjk_font_here():
        pytest.skip("no CJK font on this system (.ci/run installs fonts-wqy-microhei)")
    monkeypatch.setattr(Networks, "value", centre_value)
    # the device line is said once per process: start this run as a fresh process would
    monkeypatch.setattr(device_module, "_ANNOUNCED", set())
    cfg = tiny_config(tmp_path)
    out = tmp_path / "out"
    argv = ["analyze", str(FIXTURE), "--policy-model", cfg.networks.policy_model,
            "--value-model", cfg.networks.value_model, "--threads", "1", "--visits", "8",
            "--batch-size", "8", "--seed", "1", "--no-progress", "--out", str(out)]
    with nothing_reported():
        assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    # the start-up line naming the device (issue 38's one line), then the summary alone
    device, *rest = captured.err.strip().splitlines()
    assert device.startswith("tengen: device cpu")
    assert rest == [
        f"tengen analyze: 1 games reviewed into {out}/ (1 searched, 0 already done), 0 skipped"]
    assert (out / "kejie-leesedol.png").read_bytes()[:4] == b"\x89PNG"
    assert "柯洁" in (out / "kejie-leesedol.html").read_text(encoding="utf-8")
