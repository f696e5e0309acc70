from django import template
from django.utils import translation
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.normalise import format_phone
from customers.timeline_messages import spoken_title
from retail.domain.money import format_money
from retail.templatetags.catalog import thumb

register = template.Library()


@register.filter(name="task_title")
def task_title(task) -> str:
    """A task's title in the reader's language (raised by an event: worded from its message)."""
    return spoken_title(task)


@register.filter
def phone(value: str, region: str | None = None) -> str:
    """An E.164 number the way people of `region` (the store's country) write it (07700 900123 in
    London), others internationally: `{{ c.phone|phone:current_store.country }}`."""
    return format_phone(value or "", region=region or None)


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


# What django.utils.html.escape writes, in one C call: a page escapes ~90 values, and Django's
# escape (lazy-aware wrapper, five replaces) costs ten Python calls each.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def _e(value) -> str:
    return value.__html__() if hasattr(value, "__html__") else str(value).translate(_ESCAPES)


@register.simple_tag(name="timeline_row")
def timeline_row(row) -> str:
    """One timeline row (customers.selectors.timeline_page gives its labels, products and local time).

    A tag, not template markup: a page has 25 rows, and the row's dozen conditions and lookups in
    the template language cost ~700 Python calls each, most of the timeline panel's rendering.
    Every value is escaped (`_e`) as the template did."""
    data = row.data if isinstance(row.data, dict) else {}
    what = ""
    if row.names_subject:
        card = row.products[0]["card"]
        label = f" · {_e(card.label)}" if card.label else ""
        what = (
            f' · <span class="tl-product">{thumb(card.image_url, 32)}{_e(card.name)}'
            f' <span class="muted">{_e(card.sku)}{label}</span></span>'
        )
    elif row.said:
        what = f" · {_e(row.said)}"
    if row.kind in ("purchase", "return"):
        if data.get("total"):
            what += f' <span class="tl-amount">{_e(format_money(data["total"], data.get("currency") or None))}</span>'
        lines = data.get("lines")
        if lines:
            count = len(lines) if hasattr(lines, "__len__") else 0
            items = ngettext("%(count)s item", "%(count)s items", count) % {"count": count}
            what += f' <span class="muted">· {items}</span>'
    if row.products and not row.names_subject:
        items = "".join(
            f"<li>{thumb(item['card'].image_url, 32)}"
            f"{str(item['qty']) + ' × ' if item['qty'] and item['qty'] > 1 else ''}"  # noqa: RUF001 - the sign
            f'{_e(item["card"].name)} <span class="muted">{_e(item["card"].sku)}</span></li>'
            for item in row.products
        )
        if row.more_products:
            more = _("and %(count)s more") % {"count": row.more_products}
            items += f'<li class="muted">{more}</li>'
        what += f' <ul class="tl-items">{items}</ul>'
    if row.kind == "search" and data.get("query"):
        what += f' <span class="muted">“{_e(data["query"])}”</span>'
    meta = ""
    if row.store_id:
        meta += f" · {_e(row.store.code)}"
    if row.associate_id:
        meta += f" · {_e(row.associate)}"
    local = row.occurred_local
    channel = _e(row.channel)
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<li class="tl-item tl-{channel}">\n  <span class="tl-channel ch-{channel}">{_e(row.channel_label)}</span>\n'
        f'  <div class="tl-body">\n    <div class="tl-what"><strong>{_e(row.kind_label)}</strong>{what}</div>\n'
        f'    <div class="tl-meta"><time datetime="{local.isoformat()}">{_e(timeline_when(local))}</time>{meta}</div>\n'
        "  </div>\n</li>\n"
    )
