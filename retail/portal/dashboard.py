"""Dashboard tiles: each app adds its own (pick-ups, returns, tasks, low stock) without the
core app importing it. A tile is a template and a function giving its context for a store."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Tile:
    order: int
    template: str
    context: Callable  # (request, store) -> dict


_tiles: list[Tile] = []


def dashboard_tile(*, order: int, template: str):
    def register(func):
        if not any(t.template == template for t in _tiles):
            _tiles.append(Tile(order=order, template=template, context=func))
            _tiles.sort(key=lambda t: t.order)
        return func

    return register


def render_tiles(request, store) -> list[dict]:
    return [{"template": tile.template, **tile.context(request, store)} for tile in _tiles]


def figure[T](request, key: str, compute: Callable[[], T]) -> T:
    """A figure several tiles show (pick-ups waiting, tasks due, low stock), computed once per request
    by its owning app's selector: the "today" tile and the pick-ups tile cannot say different numbers.
    """
    figures = request.__dict__.setdefault("_dashboard_figures", {})
    if key not in figures:
        figures[key] = compute()
    return figures[key]
