from django.urls import reverse

from customers.selectors import store_today, tasks_due
from retail.portal.dashboard import dashboard_tile, figure


def tasks_due_figures(request, store) -> tuple[int, list]:
    """(how many, the first six) tasks due for this associate or the store, on the store's own date:
    the tasks tile and the "today" tile show this one count."""

    def compute():
        due = tasks_due(store=store, user=request.user)
        return due.count(), list(due[:6])

    return figure(request, "customers.tasks_due", compute)


@dashboard_tile(order=30, template="customers/tiles/tasks_due.html")
def tasks_due_tile(request, store) -> dict:
    total, rows = tasks_due_figures(request, store)
    return {
        "tasks_due_total": total,
        "tasks_due_rows": rows,
        "book_url": reverse("customers_portal:book"),
        "today": store_today(store),
    }
