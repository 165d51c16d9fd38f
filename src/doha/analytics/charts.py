"""Line and bar charts as inline SVG (pygal), with Vietnamese number formats.

No script is embedded and nothing is fetched: the SVG is drawn on the server, so charts
show on slow machines and print as they look.
"""

import re

import pygal
from pygal.style import Style

from doha.core.text import format_number

# pygal writes its config (titles, series names) into an inline <script> for its optional
# tooltip library; doha loads no such library, so the script is dropped: no user text ever
# sits inside a script element.
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S | re.I)

STYLE = Style(
    background="white",
    plot_background="white",
    font_family="DejaVu Sans, Arial, sans-serif",
    colors=("#1f5f99", "#c0392b", "#2e8b57", "#b8860b", "#6a4c93", "#008b8b", "#8b4513"),
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=11,
    value_font_size=10,
    title_font_size=13,
)


def _format(value):
    if value is None:
        return ""
    return format_number(value, 0 if float(value).is_integer() else 1)


def render_chart(kind: str, labels: list[str], series: list[tuple[str, list]], title: str = ""):
    """An SVG string: ``kind`` "line" or "bar"; ``series`` of (name, values) along labels."""
    chart_class = pygal.Bar if kind == "bar" else pygal.Line
    chart = chart_class(
        js=[],
        style=STYLE,
        title=title or None,
        width=760,
        height=340,
        x_label_rotation=30 if len(labels) > 6 else 0,
        show_minor_x_labels=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=3,
        truncate_legend=60,
        print_values=False,
        value_formatter=_format,
        show_dots=len(labels) <= 24,
        explicit_size=False,
        no_data_text="",
    )
    chart.x_labels = labels
    for name, values in series[:12]:
        chart.add(name, values)
    return _SCRIPT.sub("", chart.render(is_unicode=True, disable_xml_declaration=True))
