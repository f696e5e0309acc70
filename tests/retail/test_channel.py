"""The channel vocabulary has one home, retail/domain/channel.py: its traits, its words, and no
channel written as a literal anywhere else in the apps."""

import ast
from pathlib import Path

import pytest

from retail.domain.channel import Channel, TimelineChannel

ROOT = Path(__file__).resolve().parents[2]
APPS = ("retail", "webhooks", "inventory", "customers", "orders", "insights")
KERNEL = ROOT / "retail" / "domain" / "channel.py"
WORDS = frozenset(Channel.values)


def _mentions_channel(node: ast.AST) -> bool:
    """A name or attribute in `node` says channel (`order.channel`, `ONLINE_CHANNELS`)."""
    return any(
        (isinstance(n, ast.Name) and "channel" in n.id.lower())
        or (isinstance(n, ast.Attribute) and "channel" in n.attr.lower())
        for n in ast.walk(node)
    )


def _names_channel(name: str | None) -> bool:
    return bool(name) and "channel" in name.lower()


def _all_channel_words(values: list[ast.expr]) -> bool:
    words = [v.value for v in values if isinstance(v, ast.Constant)]
    return len(set(words)) >= 2 and len(words) == len(values) and set(words) <= WORDS


def channel_literals(source: str) -> list[int]:
    """Line numbers where `source` writes a channel's value as a string: as a channel argument,
    default or assignment, in a comparison with a channel, or as a collection of channels."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    defaults = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = [*node.args.posonlyargs, *node.args.args]
            defaults.update(zip(node.args.defaults, args[len(args) - len(node.args.defaults) :], strict=True))
            defaults.update((d, a) for d, a in zip(node.args.kw_defaults, node.args.kwonlyargs, strict=True) if d)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.List | ast.Tuple | ast.Set) and _all_channel_words(node.elts):
            found.add(node.lineno)
        if isinstance(node, ast.Dict) and _all_channel_words([k for k in node.keys if k is not None]):
            found.add(node.lineno)
        if not (isinstance(node, ast.Constant) and node.value in WORDS):
            continue
        child, parent = node, parents.get(node)
        while parent is not None and not isinstance(parent, ast.stmt | ast.Module):
            if (
                (isinstance(parent, ast.keyword) and _names_channel(parent.arg))
                or (isinstance(parent, ast.Compare) and _mentions_channel(parent))
                or (isinstance(parent, ast.Dict) and any(
                    isinstance(k, ast.Constant) and _names_channel(str(k.value)) and v is child
                    for k, v in zip(parent.keys, parent.values, strict=True)
                ))
                or (isinstance(parent, ast.arguments) and _names_channel(defaults.get(child, ast.arg("")).arg))
            ):  # fmt: skip
                found.add(node.lineno)
            child, parent = parent, parents.get(parent)
        is_key = any(isinstance(p, ast.Dict) and node in p.keys for p in [parents.get(node)])  # a dict's key
        if isinstance(parent, ast.Assign | ast.AnnAssign | ast.AugAssign) and not is_key:
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            if any(_mentions_channel(t) for t in targets):
                found.add(node.lineno)
    return sorted(found)


def test_no_channel_is_written_as_a_literal_outside_the_kernel():
    # given every module of the apps but the kernel and the migrations (history, frozen)
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if path == KERNEL or "migrations" in path.parts:
                continue
            found += [f"{path.relative_to(ROOT)}:{line}" for line in channel_literals(path.read_text())]

    # then
    assert found == [], "take the channel from retail.domain.channel.Channel: " + ", ".join(found)


@pytest.mark.parametrize(
    "source",
    [
        'order = Order(channel="kiosk")',
        'def open_cart(*, channel: str = "web"): ...',
        'if order.channel == "store": ...',
        'if order.channel in ("app", "web"): ...',
        'ONLINE = ("app", "web", "kiosk")',
        'WORDS = {"app": "in the app", "web": "on the web"}',
        'body = {"channel": "app", "lines": []}',
        'CHANNEL_WORDS = {"phone": ("by phone", "Phone orders"), "kiosk": ("at a kiosk", "Kiosk orders")}',
        'channel = serializers.ChoiceField(choices=CHOICES, default="web")',
        'store = "store" if remote else rng.choice(["app", "web"])',
    ],
)
def test_the_scan_finds_a_channel_literal(source):
    assert channel_literals(source) == [1]


@pytest.mark.parametrize(
    "source",
    [
        'qs.select_related("store")',  # a foreign key named store
        'fields = ["email", "phone", "card_number"]',  # contact details
        'kind = "phone"',  # an identity's kind
        'HEADLESS_CLIENTS = ("app", "browser")',  # allauth's client kinds
        'if by not in ("channel", "store"): ...',  # a report's dimensions
        'pairs = (("email", "email"), ("phone", "phone"))',  # contact fields and identity kinds
        'channels = {"multi": CHANNELS, "store": [Channel.STORE]}[mix]',  # a shopper's mix, named after a channel
        "order = Order(channel=Channel.KIOSK)",
    ],
)
def test_the_scan_leaves_other_words_alone(source):
    assert channel_literals(source) == []


def test_each_channel_has_its_traits_and_words():
    # then online, assisted and in store say what checkout, refunds and the API do with each
    assert Channel.online_values() == ["app", "web", "kiosk"]
    assert Channel.assisted_values() == ["store", "phone"]
    assert Channel.away_from_the_counter() == ["app", "web", "phone", "kiosk"]
    assert Channel.own_device_values() == ["app", "web"]
    assert [c.bought for c in Channel] == ["in the app", "on the web", "in store", "by phone", "at a kiosk"]
    assert Channel.STORE.purchases == "Store purchases"
    assert Channel.read(" App ") is Channel.APP and Channel.read("fax") is None
    # and the timeline's set is every channel plus where a message reached the shopper
    assert set(TimelineChannel.values) == {*Channel.values, "email", "sms"}
