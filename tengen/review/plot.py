"""The win-rate and score graph as a PNG (matplotlib, Agg: no display
needed), Black's side, with the biggest mistakes of both players labelled
by move number, colour, move and loss."""

import io

from tengen.base.files import atomic_write_bytes

from .mistakes import biggest_mistakes, loss_of
from .schema import GameReview

CLASS_COLORS = {"inaccuracy": "#c0ca33", "mistake": "#e65100", "blunder": "#b71c1c"}


def plot_figure(review: GameReview, labelled: int = 3):
    """The graph as a matplotlib Figure; the ``labelled`` biggest mistakes
    of each player carry a label."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.2), dpi=100)
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
    for color in ("B", "W"):
        for m in biggest_mistakes(review, color)[:labelled]:
            y = 100 * review.positions[m.number].winrate_black
            loss = loss_of(m, class_by) or 0.0
            unit = "" if class_by == "points" else "%"
            ax.annotate(f"{m.number} {m.color} {m.move} -{loss:.0f}{unit}", (m.number, y),
                        xytext=(0, 14 if y < 80 else -18), textcoords="offset points",
                        ha="center", fontsize=8, color=CLASS_COLORS.get(m.klass, "black"),
                        arrowprops={"arrowstyle": "-", "color": "#888", "lw": 0.6})
    black, white = review.game.get("black") or "Black", review.game.get("white") or "White"
    ax.set_title(f"{black} (B) vs {white} (W)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_png(review: GameReview, labelled: int = 3) -> bytes:
    buf = io.BytesIO()
    plot_figure(review, labelled).savefig(buf, format="png")
    return buf.getvalue()


def write_plot(path, review: GameReview) -> None:
    atomic_write_bytes(path, plot_png(review))
