from django import template
from django.utils import translation
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from customers.normalise import format_phone
from retail.domain.money import format_money
from retail.templatetags.catalog import thumb

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """An E.164 number the way people here write it (07700 900123), others internationally."""
    return format_phone(value or "")


_DATE_NAMES: dict[str | None, tuple[list[str], list[str]]] = {}


def _date_names() -> tuple[list[str], list[str]]:
    """(weekday abbreviations Monday first, month abbreviations) in the active language, once per language."""
    language = translation.get_language()
    names = _DATE_NAMES.get(language)
    if names is None:
        names = _DATE_NAMES[language] = (
            [str(WEEKDAYS_ABBR[day]) for day in range(7)],
            [str(MONTHS_3[month]).title() for month in range(1, 13)],
        )
    return names


def timeline_when(local) -> str:
    """What `{{ moment|date:"D j M Y, H:i" }}` writes ("Wed 2 Dec 2026, 09:33"), for a time already in
    the shown time zone, without the date filter's format parser (25 times a timeline page)."""
    days, months = _date_names()
    return f"{days[local.weekday()]} {local.day} {months[local.month - 1]} {local.year}, {local:%H:%M}"


@register.simple_tag(name="timeline_row")
def timeline_row(row) -> str:
    """One timeline row (customers.selectors.timeline_page gives its labels, products and local time).

    A tag, not template markup: a page has 25 rows, and the row's dozen conditions and lookups in
    the template language cost ~700 Python calls each, most of the timeline panel's rendering."""
    data = row.data if isinstance(row.data, dict) else {}
    what = []
    if row.names_subject:
        card = row.products[0]["card"]
        label = f" · {card.label}" if card.label else ""
        what.append(
            format_html(
                ' · <span class="tl-product">{}{} <span class="muted">{}{}</span></span>',
                thumb(card.image_url, 32),
                card.name,
                card.sku,
                label,
            )
        )
    elif row.subject:
        what.append(format_html(" · {}", row.subject))
    if row.kind in ("purchase", "return"):
        if data.get("total"):
            amount = format_money(data["total"], data.get("currency") or None)
            what.append(format_html(' <span class="tl-amount">{}</span>', amount))
        lines = data.get("lines")
        if lines:
            count = len(lines) if hasattr(lines, "__len__") else 0
            what.append(format_html(' <span class="muted">· {} item{}</span>', count, "" if count == 1 else "s"))
    if row.products and not row.names_subject:
        items = [
            format_html(
                '<li>{}{}{} <span class="muted">{}</span></li>',
                thumb(item["card"].image_url, 32),
                f"{item['qty']} \N{MULTIPLICATION SIGN} " if item["qty"] and item["qty"] > 1 else "",
                item["card"].name,
                item["card"].sku,
            )
            for item in row.products
        ]
        if row.more_products:
            items.append(format_html('<li class="muted">and {} more</li>', row.more_products))
        what.append(mark_safe(' <ul class="tl-items">' + "".join(items) + "</ul>"))  # noqa: S308 - escaped parts
    if row.kind == "search" and data.get("query"):
        what.append(format_html(' <span class="muted">“{}”</span>', data["query"]))
    meta = []
    if row.store_id:
        meta.append(format_html(" · {}", row.store.code))
    if row.associate_id:
        meta.append(format_html(" · {}", row.associate))
    local = row.occurred_local
    return format_html(
        '<li class="tl-item tl-{channel}">\n  <span class="tl-channel ch-{channel}">{channel_label}</span>\n'
        '  <div class="tl-body">\n    <div class="tl-what"><strong>{kind_label}</strong>{what}</div>\n'
        '    <div class="tl-meta"><time datetime="{iso}">{when}</time>{meta}</div>\n  </div>\n</li>\n',
        channel=row.channel,
        channel_label=row.channel_label,
        kind_label=row.kind_label,
        what=mark_safe("".join(conditional_escape(part) for part in what)),  # noqa: S308 - each part escaped
        iso=local.isoformat(),
        when=timeline_when(local),
        meta=mark_safe("".join(meta)),  # noqa: S308 - each part escaped
    )
