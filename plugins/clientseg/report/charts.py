"""Charts as inline SVG, drawn by hand (no plotting library): Pareto curve, heat grid, bars.

Every chart carries a <title> (its name, for screen readers and tests), labelled axes with
units, and the figures as text, so it reads without colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

FONT = "font-family='system-ui, sans-serif' font-size='12'"
INK, GRID, LINE, ACCENT = "#1f2933", "#d9dee3", "#1d5fa7", "#c2410c"


def _text(x: float, y: float, text: str, *, anchor: str = "middle", size: int = 12,
          weight: str = "normal", rotate: bool = False, fill: str = INK) -> str:
    transform = f" transform='rotate(-90 {x:.1f} {y:.1f})'" if rotate else ""
    return (f"<text x='{x:.1f}' y='{y:.1f}' text-anchor='{anchor}' font-size='{size}' "
            f"font-weight='{weight}' fill='{fill}'{transform}>{escape(text)}</text>")


def _svg(title: str, width: int, height: int, body: list[str]) -> str:
    return (f"<svg class='chart' role='img' "
            f"viewBox='0 0 {width} {height}' width='{width}' height='{height}' {FONT}>"
            f"<title>{escape(title)}</title>"
            + _text(width / 2, 18, title, size=14, weight="bold") + "".join(body) + "</svg>")


def fmt_int(value: float) -> str:
    return f"{value:,.0f}"


def pareto_chart(points: Sequence[tuple[float, float]], cuts: Sequence[tuple[str, float]],
                 class_ends: Sequence[tuple[str, float]], title: str) -> str:
    """Cumulative revenue share (%) against client share (%), with the A/B/C revenue cuts
    (horizontal, e.g. ("A/B cut", 80)) and where each class ends among the clients
    (vertical, e.g. ("A", 12.5))."""
    w, h, left, right, top, bottom = 640, 400, 64, 24, 36, 56
    pw, ph = w - left - right, h - top - bottom

    def px(x: float) -> float:
        return left + pw * x / 100

    def py(y: float) -> float:
        return top + ph * (1 - y / 100)

    body = []
    for tick in range(0, 101, 20):
        body += [f"<line x1='{px(0):.1f}' y1='{py(tick):.1f}' x2='{px(100):.1f}' "
                 f"y2='{py(tick):.1f}' stroke='{GRID}'/>",
                 _text(left - 8, py(tick) + 4, f"{tick}%", anchor="end"),
                 _text(px(tick), top + ph + 18, f"{tick}%")]
    body += [f"<line x1='{px(0)}' y1='{py(0)}' x2='{px(100)}' y2='{py(0)}' stroke='{INK}'/>",
             f"<line x1='{px(0)}' y1='{py(0)}' x2='{px(0)}' y2='{py(100)}' stroke='{INK}'/>",
             _text(left + pw / 2, h - 12, "Share of clients, ranked by 12-month revenue (%)"),
             _text(16, top + ph / 2, "Cumulative share of revenue, EUR (%)", rotate=True)]
    for label, share in cuts:
        body += [f"<line class='cut' x1='{px(0):.1f}' y1='{py(share):.1f}' x2='{px(100):.1f}' "
                 f"y2='{py(share):.1f}' stroke='{ACCENT}' stroke-dasharray='6 4'/>",
                 _text(px(100) - 4, py(share) - 4, f"{label} {share:g}%", anchor="end",
                       fill=ACCENT)]
    start = 0.0
    for label, end in class_ends:
        body.append(f"<line x1='{px(end):.1f}' y1='{py(0):.1f}' x2='{px(end):.1f}' "
                    f"y2='{py(100):.1f}' stroke='{INK}' stroke-dasharray='2 3'/>")
        body.append(_text(px((start + end) / 2), py(0) - 6, label, weight="bold"))
        start = end
    path = " ".join(f"{'M' if i == 0 else 'L'}{px(x):.1f},{py(y):.1f}"
                    for i, (x, y) in enumerate(points))
    body.append(f"<path class='curve' d='{path}' fill='none' stroke='{LINE}' stroke-width='2'/>")
    return _svg(title, w, h, body)


def heat_grid(title: str, rows: Sequence[str], columns: Sequence[str],
              values: dict[tuple[str, str], int], row_title: str, column_title: str) -> str:
    """A matrix of counts, one cell per (row, column), shaded by count, the count written in."""
    longest = max((len(c) for c in columns), default=1)
    cell_w = max(56, min(160, 7 * longest + 12))
    cell_h = 34
    left, top = 150, 64
    w = left + cell_w * len(columns) + 24
    h = top + cell_h * len(rows) + 48
    peak = max(values.values(), default=0) or 1
    body = [_text(left + cell_w * len(columns) / 2, 44, column_title),
            _text(14, top + cell_h * len(rows) / 2, row_title, rotate=True)]
    for j, column in enumerate(columns):
        body.append(_text(left + cell_w * (j + 0.5), top - 6, column, size=11))
    for i, row in enumerate(rows):
        y = top + cell_h * i
        body.append(_text(left - 8, y + cell_h / 2 + 4, row, anchor="end", size=11))
        for j, column in enumerate(columns):
            n = values.get((row, column), 0)
            share = n / peak
            fill = f"rgba(29, 95, 167, {0.08 + 0.85 * share:.2f})" if n else "#f4f5f7"
            x = left + cell_w * j
            body += [f"<rect class='cell' x='{x}' y='{y}' width='{cell_w - 2}' "
                     f"height='{cell_h - 2}' fill='{fill}'><title>{escape(row)} / "
                     f"{escape(column)}: {n} clients</title></rect>",
                     _text(x + cell_w / 2 - 1, y + cell_h / 2 + 4, fmt_int(n),
                           fill="#ffffff" if share > 0.55 else INK)]
    body.append(_text(left + cell_w * len(columns) / 2, h - 14, "cells: number of clients",
                      size=11))
    return _svg(title, w, h, body)


def bar_chart(title: str, items: Sequence[tuple[str, float]], unit: str,
              value_format: str = "{:,.0f}") -> str:
    """Horizontal bars, one per (label, value), the value written at the bar's end."""
    left, bar_h, top = 170, 22, 40
    plot_w = 250
    w = left + plot_w + 110
    h = top + bar_h * max(len(items), 1) + 40
    peak = max((v for _, v in items), default=0) or 1
    body = []
    for i, (label, value) in enumerate(items):
        y = top + bar_h * i
        length = plot_w * value / peak
        body += [_text(left - 8, y + bar_h / 2 + 4, label, anchor="end"),
                 f"<rect class='bar' x='{left}' y='{y + 3}' width='{length:.1f}' "
                 f"height='{bar_h - 6}' fill='{LINE}'/>",
                 _text(left + length + 6, y + bar_h / 2 + 4, value_format.format(value),
                       anchor="start")]
    body += [f"<line x1='{left}' y1='{top}' x2='{left}' y2='{h - 36}' stroke='{INK}'/>",
             _text(left + plot_w / 2, h - 12, unit)]
    return _svg(title, w, h, body)
