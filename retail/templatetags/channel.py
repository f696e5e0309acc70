"""`{{ order.channel|bought }}` ("in the app") and `{% if order.channel|in_store %}`: retail.domain.channel.

A builtin of the template engine (settings.TEMPLATES), so no template has to load it.
"""

from django import template

from retail.domain.channel import Channel

register = template.Library()


@register.filter(name="bought")
def bought(value: str) -> str:
    """Where it was bought, in a sentence: "in the app", "in store" ("" for no known channel)."""
    channel = Channel.read(value)
    return channel.bought if channel else ""


@register.filter(name="in_store")
def in_store(value: str) -> bool:
    channel = Channel.read(value)
    return bool(channel and channel.in_store)


@register.filter(name="channel_label")
def channel_label(value: str) -> str:
    """The channel's name in the reader's language ("App", "Sklep"), else the value as stored."""
    channel = Channel.read(value)
    return str(channel.label) if channel else value


@register.filter(name="channel_labels")
def channel_labels(values) -> str:
    """Several channels named, comma separated: an offer's "App, Web"."""
    return ", ".join(channel_label(value) for value in values or ())
