"""OpenAPI enum names taken from the model choices they come from, so none collide.

Several apps have a `Status`, `Kind` or `Channel`; drf-spectacular would name them after the
field and warn (which `check --deploy` reports). Each choice set gets its owner's name instead:
`Order.Status` -> OrderStatusEnum; the kernel's `Channel` keeps its first name, OrderChannelEnum.
"""

from django.apps import apps
from django.conf import settings
from django.db import models

from retail.domain.channel import Channel, TimelineChannel

PROJECT_APPS = ("retail", "inventory", "customers", "orders", "returns", "insights", "webhooks")

# The kernel's choice sets keep the names their first owners gave them in the schema (clients use them).
KERNEL_NAMES = {Channel: "OrderChannelEnum", TimelineChannel: "TimelineChannelEnum"}

# Subsets that serializers offer rather than models, named here once.
SERIALIZER_CHOICE_SETS = {
    "OnlineChannelEnum": Channel.online_values(),  # channels a shopper's own client can act on
}


def _choice_classes():
    stack, seen = list(models.Choices.__subclasses__()), []
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        seen.append(cls)
    return seen


def _owner_app_label(cls) -> str | None:
    """The project app whose package holds the class (the most specific: orders.returns, not orders)."""
    owners = [
        config
        for config in apps.get_app_configs()
        if config.label in PROJECT_APPS
        and (cls.__module__ == config.name or cls.__module__.startswith(config.name + "."))
    ]
    return max(owners, key=lambda config: len(config.name)).label if owners else None


def enum_names() -> dict[str, type]:
    """{OpenAPI enum name: choices class} for every choice set defined in our apps, one name per set."""
    names: dict[str, type] = {}
    seen_values: set[tuple] = set()
    candidates = []
    for cls in _choice_classes():
        label = _owner_app_label(cls)
        if label is None:
            continue
        if cls in KERNEL_NAMES:
            candidates.append((KERNEL_NAMES[cls], label, cls))
            continue
        parts = cls.__qualname__.split(".")
        if len(parts) == 1:  # module-level: name it after the module's main model, e.g. orders.models.orders
            parts = [cls.__module__.rsplit(".", 1)[-1].rstrip("s").title(), parts[0]]
        candidates.append(("".join(p[:1].upper() + p[1:] for p in parts) + "Enum", label, cls))
    for name, label, cls in sorted(candidates, key=lambda c: (c[0], c[1])):
        values = tuple(sorted(cls.choices))
        if values in seen_values:
            continue  # the same set under another name: the first name serves both
        if name in names:
            name = label.title() + name
        names[name] = cls
        seen_values.add(values)
    return names


def install_enum_names() -> None:
    overrides = settings.SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})
    for name, choices in {**SERIALIZER_CHOICE_SETS, **enum_names()}.items():
        overrides.setdefault(name, choices)
