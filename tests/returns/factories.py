"""Return policies with their windows (rows per channel), as head office saves them."""

from orders.returns.models import ReturnPolicy, ReturnWindow, standard_windows


def make_policy(name: str = "Standard", *, windows: dict[str, int] | None = None, **fields) -> ReturnPolicy:
    """A saved policy whose windows are `windows` ({channel: days}), else the standard ones; a
    channel left out has no window."""
    policy = ReturnPolicy.objects.create(name=name, **fields)
    chosen = standard_windows() if windows is None else windows
    ReturnWindow.objects.bulk_create([ReturnWindow(policy=policy, channel=c, days=d) for c, d in chosen.items()])
    return policy
