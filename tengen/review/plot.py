"""The win-rate and score graph as a PNG (matplotlib, Agg: no display
needed), Black's side, with the biggest mistakes of both players labelled
by move number, colour, move and loss.

Players' names come from every server, in every script.  matplotlib's
default font (DejaVu Sans) has no CJK glyphs: it would draw empty boxes and
warn once per missing glyph.  So the title is drawn with the default font
and, for the characters it lacks, a font on the system that has them
(``covering_font``: matplotlib's font list, then the system's font files
that list does not know yet, such as a font installed after matplotlib
built its cache; Debian's ``fonts-wqy-microhei`` covers Chinese, Japanese
and Korean, and ``.ci/run`` installs it).  A name that no font on the
system can draw is replaced by the colour's name, so nothing is drawn as
boxes and nothing is printed.

Labels of mistakes that fall close together are stacked at different
heights, each at the first height where it overlaps no label placed before
it (``place_labels``).
"""

import functools
import io
from typing import TYPE_CHECKING, Any

from tengen.base.files import atomic_write_bytes

from .mistakes import biggest_mistakes, loss_of
from .schema import GameReview

if TYPE_CHECKING:     # annotations only: importing matplotlib takes a while
    from matplotlib.figure import Figure
    from matplotlib.text import Annotation
    from matplotlib.transforms import Bbox

CLASS_COLORS = {"inaccuracy": "#c0ca33", "mistake": "#e65100", "blunder": "#b71c1c"}
# offsets (points) tried for a label, above the curve first where there is room
_ABOVE = (14, 28, 42, 56, 70)
_BELOW = (-18, -32, -46, -60, -74)
# matplotlib's own "Last Resort" font has a glyph for every code point: a box
PLACEHOLDER_FONTS = ("Last Resort",)


@functools.cache
def _charmap(path: str) -> frozenset[int]:
    """The code points a font file has glyphs for (empty when it cannot be read)."""
    from matplotlib.ft2font import FT2Font

    try:
        return frozenset(FT2Font(path).get_charmap())
    except (OSError, RuntimeError, ValueError):
        return frozenset()


def _default_font() -> str:
    from matplotlib import font_manager

    return font_manager.findfont(font_manager.FontProperties(), fallback_to_default=True)


def missing_glyphs(text: str) -> frozenset[str]:
    """The characters of ``text`` (spaces aside) that the default font lacks."""
    have = _charmap(_default_font())
    return frozenset(c for c in text if not c.isspace() and ord(c) not in have)


@functools.cache
def covering_font(chars: frozenset[str]) -> str | None:
    """The family name of a font on this system that has every one of
    ``chars``, or None: matplotlib's font list first, then the system's font
    files it does not list (added to it when one covers them)."""
    from matplotlib import font_manager

    wanted = {ord(c) for c in chars}
    listed = {f.fname: f.name for f in font_manager.fontManager.ttflist}
    for path, name in sorted(listed.items()):
        if not name.startswith(PLACEHOLDER_FONTS) and wanted <= _charmap(path):
            return name
    for path in sorted(font_manager.findSystemFonts()):
        if path not in listed and wanted <= _charmap(path):
            name = font_manager.FontProperties(fname=path).get_name()
            if not name.startswith(PLACEHOLDER_FONTS):
                font_manager.fontManager.addfont(path)
                return name
    return None


def drawable(name: str) -> tuple[bool, str | None]:
    """Whether ``name`` can be drawn, and the fallback family it needs
    (None: the default font has every glyph)."""
    lacking = missing_glyphs(name)
    if not lacking:
        return True, None
    family = covering_font(lacking)
    return family is not None, family


def title_of(review: GameReview) -> tuple[str, list[str] | None]:
    """The graph's title and the font families to draw it with (None: the
    default); a name no font here can draw becomes its colour's name."""
    names, fallbacks = [], []
    for key, colour in (("black", "Black"), ("white", "White")):
        name = review.game.get(key) or colour
        ok, family = drawable(name)
        names.append(name if ok else colour)
        if ok and family is not None:
            fallbacks.append(family)
    text = f"{names[0]} (B) vs {names[1]} (W)"
    if not fallbacks:
        return text, None
    from matplotlib import font_manager

    default = font_manager.FontProperties(fname=_default_font()).get_name()
    return text, [default, *dict.fromkeys(fallbacks)]


def label_box(ann: "Annotation", renderer: Any) -> "Bbox":
    """The window extent of an annotation's text, its connecting line left out."""
    from matplotlib.text import Text

    ann.update_positions(renderer)
    return Text.get_window_extent(ann, renderer)


def place_labels(fig: "Figure", renderer: Any, annotations: list["Annotation"]) -> None:
    """Move each annotation (offset in points from its point) to the first
    height, above its point where there is room, at which its text overlaps
    no text placed before it (in the order of their points along the graph)
    and stays inside the figure; the least crowded height when none is free."""
    frame = fig.bbox
    placed: list[Bbox] = []
    for ann in sorted(annotations, key=lambda a: a.xy[0]):
        order = _ABOVE + _BELOW if ann.xy[1] < 80 else _BELOW + _ABOVE
        best, best_hits = order[0], None
        for dy in order:
            ann.xyann = (0, dy)
            box = label_box(ann, renderer)
            hits = sum(box.overlaps(b) for b in placed)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and \
                frame.y0 <= box.y0 and box.y1 <= frame.y1
            if inside and (best_hits is None or hits < best_hits):
                best, best_hits = dy, hits
            if inside and not hits:
                break
        ann.xyann = (0, best)
        placed.append(label_box(ann, renderer))


def plot_figure(review: GameReview, labelled: int = 3) -> "Figure":
    """The graph as a matplotlib Figure; the ``labelled`` biggest mistakes
    of each player carry a label."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.2), dpi=100)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs = [p.number for p in review.positions]
    ax.plot(xs, [100 * p.winrate_black for p in review.positions], color="black", lw=1.6,
            label="Black's win rate (%)")
    ax.axhline(50, color="#999", lw=0.8, ls=":")
    ax.set_ylim(0, 100)
    ax.set_xlim(0, max(1, xs[-1]))
    ax.set_xlabel("move")
    ax.set_ylabel("Black's win rate (%)")
    scores = [(p.number, p.score_black) for p in review.positions if p.score_black is not None]
    if scores:
        ax2 = ax.twinx()
        scale = max(10.0, max(abs(s) for _, s in scores))
        ax2.plot([x for x, _ in scores], [s for _, s in scores], color="#1e88e5", lw=1.1, ls="--",
                 label="Black's score lead")
        ax2.set_ylim(-scale, scale)
        ax2.set_ylabel("Black's score lead (points)", color="#1e88e5")
    for m in review.moves:
        if m.klass in CLASS_COLORS:
            ax.scatter([m.number], [100 * review.positions[m.number].winrate_black], s=16,
                       color=CLASS_COLORS[m.klass], zorder=3)
    class_by = review.settings.get("class_by", "winrate")
    labels = []
    for color in ("B", "W"):
        for m in biggest_mistakes(review, color)[:labelled]:
            y = 100 * review.positions[m.number].winrate_black
            loss = loss_of(m, class_by) or 0.0
            unit = "" if class_by == "points" else "%"
            labels.append(ax.annotate(
                f"{m.number} {m.color} {m.move} -{loss:.0f}{unit}", (m.number, y),
                xytext=(0, _ABOVE[0] if y < 80 else _BELOW[0]), textcoords="offset points",
                ha="center", fontsize=8, color=CLASS_COLORS.get(m.klass, "black"),
                arrowprops={"arrowstyle": "-", "color": "#888", "lw": 0.6}))
    title, families = title_of(review)
    if families:
        ax.set_title(title, fontsize=10, fontfamily=families)
    else:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    place_labels(fig, canvas.get_renderer(), labels)
    return fig


def plot_png(review: GameReview, labelled: int = 3) -> bytes:
    buf = io.BytesIO()
    plot_figure(review, labelled).savefig(buf, format="png")
    return buf.getvalue()


def write_plot(path: Any, review: GameReview) -> None:
    atomic_write_bytes(path, plot_png(review))
