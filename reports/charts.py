"""Charts drawn by the server as SVG: no script, no CDN, and they print."""
import re

from babel.dates import format_skeleton
from flask_babel import get_locale
from markupsafe import Markup, escape

from .stats import week_dates

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _nice_max(value):
    """A round axis maximum at or above `value` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _fmt(value, money):
    if money:
        yuan = value / 100
        return f"{yuan / 10000:.1f}万" if yuan >= 100000 else f"{yuan:,.0f}"
    return f"{value / 10000:.1f}万" if value >= 100000 else f"{value:,}"


def _text_width(text, size=14):
    """About how wide `text` is drawn at `size`: a Chinese character a full em, a digit or comma about half."""
    return round(sum(size if ord(ch) > 0x2E80 else size * 0.6 for ch in text))


def _axis_label(row):
    """A short label under a bar: a day without its year (11-21), a week by its Monday (12月7日)."""
    label, key = str(row["label"]), str(row.get("key", ""))
    if "-W" in key:
        return format_skeleton("MMMd", week_dates(key)[0], locale=get_locale() or "zh")
    if DAY.match(label):
        return label[5:]  # 2026-11-21 -> 11-21
    return label


# The look of each part also as presentation attributes, for renderers that style an inline SVG by itself (the
# evidence pack's PDF); the stylesheet's rules (reports.css) override them in a browser.
AXIS = ' fill="#5f6368" font-size="14"'
LABEL = ' fill="#1d1d1f" font-size="14"'
BAR = ' fill="#c62828"'


# Sized for a phone: a chart fills about 340 px of a 390 px screen, so a viewBox 360 wide draws text at
# about nine tenths of its size, and the smallest (13) stays above 12 px.
def trend(rows, field="redemptions", title="", money=False, width=360, height=190):
    """Vertical bars over time (rows in order), with a light grid and the value of each bar on hover."""
    values = [row[field] for row in rows]
    top_value = _nice_max(max(values, default=0))
    # The axis labels' column as wide as the longest of them needs (50,000 or 37.5万 would lose a digit in 46).
    left, right, top, bottom = max(46, 10 + _text_width(_fmt(top_value, money))), 6, 10, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(rows), 1)
    slot = plot_w / n
    bar = max(slot * 0.72, 1)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i in range(5):
        v = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" class="grid" stroke="#e6e2dc"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 5:.1f}" text-anchor="end" class="axis"{AXIS}>'
                     f'{_fmt(int(v), money)}</text>')
    every = max(1, -(-n // 4))  # four labels at most: wider ones would overlap
    for i, row in enumerate(rows):
        value = row[field]
        h = plot_h * value / top_value
        x = left + i * slot + (slot - bar) / 2
        y = top + plot_h - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{max(h, 0):.1f}" class="bar"{BAR}>'
                     f'<title>{escape(row["label"])}: {_fmt(value, money)}</title></rect>')
        if i % every == 0:
            label = _axis_label(row)
            centre = x + bar / 2
            near_edge = centre > width - right - 30  # a label centred there would run off the chart
            parts.append(f'<text x="{width - right if near_edge else centre:.1f}" y="{height - 12}" '
                         f'text-anchor="{"end" if near_edge else "middle"}" class="axis"{AXIS}>{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(rows, field="redemptions", title="", money=False, limit=12, width=360):
    """Horizontal bars, biggest first, for a breakdown (industry, street, category, shop)."""
    rows = sorted(rows, key=lambda r: -r[field])[:limit]
    rows = [r for r in rows if r[field]] or rows[:0]
    label_w, right, row_h = 112, 60, 30
    height = max(len(rows), 1) * row_h + 8
    top_value = max((r[field] for r in rows), default=0) or 1
    plot_w = width - label_w - right
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i, row in enumerate(rows):
        y = 4 + i * row_h
        w = plot_w * row[field] / top_value
        label = str(row["label"])
        label = label if len(label) <= 7 else label[:6] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 20}" text-anchor="end" class="label"{LABEL}>'
                     f'{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 8}" class="bar"{BAR}>'
                     f'<title>{escape(row["label"])}: {_fmt(row[field], money)}</title></rect>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 20}" class="value"{AXIS}>'
                     f'{_fmt(row[field], money)}</text>')
    if not rows:
        parts.append(f'<text x="{width / 2}" y="22" text-anchor="middle" class="axis"{AXIS}>—</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
