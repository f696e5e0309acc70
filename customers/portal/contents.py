"""The customers app's own panels on the clienteling screen: what each template is given.

The fragment views (customers/portal/views.py) and the shell render the same functions, so a
panel looks the same in the first view, below the fold and refreshed on its own.
"""

from django.utils.translation import gettext_lazy as _

from customers.models import Channel
from customers.portal.forms import NoteForm, TaskForm, field_widgets
from customers.portal.panels import panel_content
from customers.recommendations import recommendations_for
from customers.selectors import (
    lists_with_availability,
    notes_for,
    offers_for,
    store_today,
    tasks_for,
    timeline_page,
)


def timeline_channels() -> list[tuple[str, str]]:
    """The timeline's filter: all, or one channel (the kernel's set, asked each time)."""
    return [("", _("All")), *Channel.choices]


def timeline_channel(request) -> str:
    """The channel the timeline is filtered on (`?channel=`), "" for all or an unknown one."""
    channel = request.GET.get("channel", "")
    return channel if channel in Channel.values else ""


@panel_content("timeline", template="customers/partials/timeline.html")
def timeline_panel(request, customer) -> dict:
    channel = timeline_channel(request)
    page = timeline_page(customer, channel=channel or None)
    return {"page": page, "channel": channel, "channels": timeline_channels()}


@panel_content("notes", template="customers/partials/notes.html")
def notes_panel(request, customer, *, form=None) -> dict:
    form = form or NoteForm()
    return {"notes": notes_for(customer), "form": form, "fields": field_widgets(form), "store": request.store}


@panel_content("tasks", template="customers/partials/tasks.html")
def tasks_panel(request, customer, *, form=None) -> dict:
    form = form or TaskForm(today=store_today(request.store))
    return {"tasks": tasks_for(customer), "form": form, "fields": field_widgets(form), "store": request.store}


@panel_content("offers", template="customers/partials/offers.html")
def offers_panel(request, customer) -> dict:
    return {"assignments": offers_for(customer)}


@panel_content("lists", template="customers/partials/lists.html")
def lists_panel(request, customer) -> dict:
    return {"lists": lists_with_availability(customer, store=request.store)}


@panel_content("recommendations", template="customers/partials/recommendations.html")
def recommendations_panel(request, customer) -> dict:
    return {"recs": recommendations_for(customer, store=request.store), "store": request.store}
