"""Server-side SVG charts from aggregated series: no JavaScript, no style attributes (CSP).

Colours and sizes are SVG presentation attributes (fill, stroke, font-size); the stylesheet only
sets the font and the chart's width. Every text is escaped. Charts carry role="img" with a title
and a description, and the same numbers are in a table next to them.
"""

from collections.abc import Sequence
from itertools import count

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from retail.domain.channel import Channel
from retail.domain.money import money

PALETTE = ["#0f5257", "#1d5fa8", "#c77c0e", "#7a4fa0", "#1e7d3a", "#b3261e", "#5d6d7e", "#13797f"]
CHANNEL_COLOURS = {
    Channel.APP: "#0f5257",
    Channel.WEB: "#1d5fa8",
    Channel.STORE: "#c77c0e",
    Channel.PHONE: "#7a4fa0",
    Channel.KIOSK: "#1e7d3a",
    "mail": "#5d6d7e",
    "none": "#b8c2cc",
}
INK, MUTED, GRID = "#17202a", "#5d6d7e", "#e3e8ed"
HALF, WIDE = 560, 1200  # viewBox widths close to the card widths, so text renders near its size
_ids = count(1)


def colour_for(name: str, index: int) -> str:
    return CHANNEL_COLOURS.get(name.lower(), PALETTE[index % len(PALETTE)])


def money_label(value) -> str:
    """12,345.60 up to 100k (to the cent by the kernel's rule), then 123k / 1.2M: what fits at a bar's end.
    Written the reader's way (12.345,60 in Italian, 12 345,60 in Polish), as the tables beside the chart."""
    number = _num(value)
    return number_format(money(value or 0), 2, force_grouping=True) if abs(number) < 100_000 else _short(number)


def money_label_in(currency: str):
    """`money_label` followed by the currency's code ("1.234,56 PLN"): bars of a chart drawn per currency
    still say which money they are, in the chart and in its text description."""
    return lambda value: f"{money_label(value)} {currency}"


def _num(value) -> float:
    return float(value or 0)


def _short(value: float) -> str:
    """1234567 -> 1.2M, 12345 -> 12k, 1234 -> 1.2k, 12.5 -> 12.5 (the reader's decimal mark)."""
    a = abs(value)
    if a >= 1_000_000:
        return f"{_one_place(value / 1_000_000)}M"
    if a >= 10_000:
        return f"{value / 1000:.0f}k"
    if a >= 1000:
        return f"{_one_place(value / 1000)}k"
    return f"{value:.0f}" if value == int(value) else _one_place(value)


def _one_place(value: float) -> str:
    """1.5 with the reader's decimal mark (1,5 in Italian and Polish)."""
    return number_format(f"{value:.1f}", 1)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _svg(width: int, height: int, title: str, description: str, body: list[str]) -> SafeString:
    uid = next(_ids)
    return mark_safe(  # noqa: S308 — every text interpolated below went through escape()
        f'<svg class="chart"{' data-size="half"' if width == HALF else ""} viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-t{uid} chart-d{uid}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-t{uid}">{escape(title)}</title><desc id="chart-d{uid}">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _text(x, y, text, *, anchor="start", size=12, fill=MUTED, weight="normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}" '
        f'font-weight="{weight}">{escape(text)}</text>'
    )


def empty_chart(title: str, message: str | None = None) -> SafeString:
    message = message or gettext("No data in this period.")
    return _svg(HALF, 80, title, message, [_text(HALF / 2, 45, message, anchor="middle", size=14)])


def bar_chart(
    items: Sequence[tuple[str, object]],
    *,
    title: str,
    unit: str = "",
    colours: Sequence[str] | None = None,
    value_format=None,
) -> SafeString:
    """Horizontal bars, one per (label, value); labels left, values at the bar's end."""
    if not items or all(_num(v) == 0 for _, v in items):
        return empty_chart(title)
    fmt = value_format or (lambda v: f"{_short(_num(v))}{unit}")
    labels = [str(label)[:30] for label, _ in items]
    # the label column fits the longest label (~7 units a character at 12): "Goodwill (head office)" was cut
    label_w, width, row_h, top = max(130, min(230, 7 * max(map(len, labels)) + 14)), HALF, 30, 8
    plot_w = width - label_w - 70
    peak = max(_num(v) for _, v in items) or 1
    body = []
    for i, ((_, value), label) in enumerate(zip(items, labels, strict=True)):
        y = top + i * row_h
        w = max(1.0, plot_w * _num(value) / peak)
        fill = colours[i % len(colours)] if colours else PALETTE[0]
        body.append(_text(label_w - 8, y + 19, label, anchor="end", fill=INK))
        body.append(f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" rx="3" fill="{fill}"/>')
        body.append(_text(label_w + w + 6, y + 19, fmt(value), fill=INK))
    height = top * 2 + len(items) * row_h
    description = "; ".join(f"{label}: {fmt(value)}" for label, value in items)
    return _svg(width, height, title, description, body)


def stacked_columns(
    x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[object]]], *, title: str, unit: str = ""
) -> SafeString:
    """Vertical columns per bucket, each stacked by named series (channel colours), with a legend."""
    if not x_labels or not series or all(_num(v) == 0 for _, values in series for v in values):
        return empty_chart(title)
    width, height, left, right, top, bottom = WIDE, 300, 60, 16, 34, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(_num(values[i]) for _, values in series) for i in range(len(x_labels))]
    peak = _nice_max(max(totals))
    slot = plot_w / len(x_labels)
    bar_w = max(2.0, min(42.0, slot * 0.7))
    body = []
    for k in range(5):
        value = peak * k / 4
        y = top + plot_h - plot_h * k / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 8, y + 4, f"{_short(value)}{unit}", anchor="end", size=12))
    every = max(1, round(len(x_labels) / 10))
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == len(x_labels) - 1:
            body.append(_text(left + slot * (i + 0.5), height - 12, label, anchor="middle", size=12))
    bases = [0.0] * len(x_labels)
    legend_x = left
    for index, (name, values) in enumerate(series):
        colour = colour_for(name, index)
        rects = []
        for i, value in enumerate(values):
            h = plot_h * _num(value) / peak
            if h <= 0:
                continue
            y = top + plot_h - bases[i] - h
            x = left + slot * (i + 0.5) - bar_w / 2
            rects.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}"/>')
            bases[i] += h
        body.append(f'<g class="series" data-series="{escape(name)}">{"".join(rects)}</g>')
        body.append(f'<rect x="{legend_x}" y="6" width="12" height="12" rx="2" fill="{colour}"/>')
        body.append(_text(legend_x + 17, 16, name, fill=INK, size=13))
        legend_x += 34 + 8 * len(name)
    summary = "; ".join(
        gettext("%(name)s: %(total)s in total")
        % {"name": name, "total": f"{_short(sum(_num(v) for v in values))}{unit}"}
        for name, values in series
    )
    span = gettext("%(first)s to %(last)s.") % {"first": x_labels[0], "last": x_labels[-1]}
    return _svg(width, height, title, f"{span} {summary}", body)


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[object]]], parts: Sequence[tuple[str, str]], *, title: str
) -> SafeString:
    """Horizontal 100% stacked bars: per row label, its values split into `parts` (name, colour)."""
    rows = [(label, values) for label, values in rows if sum(_num(v) for v in values) > 0]
    if not rows:
        return empty_chart(title)
    label_w, width, row_h, top = 130, HALF, 30, 34
    plot_w = width - label_w - 16
    body = []
    legend_x = label_w
    for name, colour in parts:
        body.append(f'<rect x="{legend_x}" y="8" width="12" height="12" rx="2" fill="{colour}"/>')
        body.append(_text(legend_x + 17, 18, name, fill=INK))
        legend_x += 22 + 7 * len(name) + 18
    descriptions = []
    for i, (label, values) in enumerate(rows):
        y = top + i * row_h
        total = sum(_num(v) for v in values)
        x = float(label_w)
        body.append(_text(label_w - 8, y + 19, str(label)[:22], anchor="end", fill=INK))
        for (_name, colour), value in zip(parts, values, strict=True):
            w = plot_w * _num(value) / total
            if w <= 0:
                continue
            body.append(f'<rect x="{x:.1f}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" fill="{colour}"/>')
            if w > 34:
                body.append(_text(x + w / 2, y + 19, f"{100 * _num(value) / total:.0f}%", anchor="middle", fill="#fff"))
            x += w
        descriptions.append(
            f"{label}: " + ", ".join(f"{name} {_short(_num(v))}" for (name, _), v in zip(parts, values, strict=True))
        )
    height = top + len(rows) * row_h + 8
    return _svg(width, height, title, "; ".join(descriptions), body)
