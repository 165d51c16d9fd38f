"""Charts for printed reports: matplotlib (Agg, no display) to PNG, Vietnamese number
formats on the axes, a serif font to sit with the Times New Roman text."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from doha.core.text import format_number  # noqa: E402

# Enough for print at 15 cm wide; every extra dot costs drawing time.
DPI = 130
COLOURS = ("#1f4e79", "#c55a11", "#548235", "#7f6000")


def _serif():
    """Times New Roman, its metric twin Liberation Serif or DejaVu Serif: the first
    installed with Vietnamese letters (the first Liberation fonts have none)."""
    from matplotlib.font_manager import FontProperties

    from doha.reports.document import vietnamese_font_file

    path = vietnamese_font_file(["Times New Roman", "Liberation Serif", "DejaVu Serif"])
    return FontProperties(fname=path) if path else FontProperties(family="serif")


FONT = _serif()


def _font(size):
    font = FONT.copy()
    font.set_size(size)
    return font


def _figure(width_in=6.3, height_in=3.0) -> Figure:
    figure = Figure(figsize=(width_in, height_in), dpi=DPI)
    figure.set_layout_engine("constrained")
    return figure


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _style(axes, title: str):
    axes.set_title(title, fontproperties=_font(11))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: format_number(v)))
    axes.spines["top"].set_visible(False)
    axes.spines["right"].set_visible(False)
    axes.grid(axis="y", linewidth=0.4, alpha=0.6)
    for label in axes.get_xticklabels() + axes.get_yticklabels():
        label.set_fontproperties(_font(9))


def grouped_bars(title: str, labels: list[str], series: list[tuple[str, list]]) -> bytes:
    """Bars per label, one colour a series (e.g. this period and a year before)."""
    figure = _figure()
    axes = figure.add_subplot()
    count = max(len(series), 1)
    width = 0.8 / count
    positions = range(len(labels))
    for index, (name, values) in enumerate(series):
        offsets = [p - 0.4 + width * (index + 0.5) for p in positions]
        axes.bar(
            offsets,
            [v or 0 for v in values],
            width=width,
            label=name,
            color=COLOURS[index % len(COLOURS)],
        )
    axes.set_xticks(list(positions), labels)
    _style(axes, title)
    axes.legend(frameon=False, prop=_font(9))
    return _png(figure)


def lines(title: str, labels: list[str], series: list[tuple[str, list]]) -> bytes:
    """One line a series over the same labels (months)."""
    figure = _figure()
    axes = figure.add_subplot()
    for index, (name, values) in enumerate(series):
        axes.plot(
            labels,
            [v if v is not None else float("nan") for v in values],
            marker="o",
            markersize=3,
            linewidth=1.6,
            label=name,
            color=COLOURS[index % len(COLOURS)],
        )
    axes.set_ylim(bottom=0)
    _style(axes, title)
    axes.legend(frameon=False, prop=_font(9))
    return _png(figure)


def horizontal_bars(title: str, labels: list[str], values: list, unit: str = "") -> bytes:
    """One bar a unit, the largest at the top."""
    pairs = sorted(zip(labels, values, strict=False), key=lambda p: p[1] or 0)
    height = min(max(2.2, 0.28 * len(pairs) + 1.0), 8.5)
    figure = _figure(6.3, height)
    axes = figure.add_subplot()
    axes.barh([p[0] for p in pairs], [p[1] or 0 for p in pairs], color=COLOURS[0])
    axes.set_title(title, fontproperties=_font(11))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: format_number(v) + unit))
    axes.spines["top"].set_visible(False)
    axes.spines["right"].set_visible(False)
    for label in axes.get_xticklabels() + axes.get_yticklabels():
        label.set_fontproperties(_font(8))
    return _png(figure)
