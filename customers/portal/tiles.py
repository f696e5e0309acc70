from django.urls import reverse
from django.utils import timezone

from customers.selectors import tasks_due
from retail.portal.dashboard import dashboard_tile


@dashboard_tile(order=30, template="customers/tiles/tasks_due.html")
def tasks_due_tile(request, store) -> dict:
    due = tasks_due(store=store, user=request.user)
    return {
        "tasks_due_total": due.count(),
        "tasks_due_rows": list(due[:6]),
        "book_url": reverse("customers_portal:book"),
        "today": timezone.localdate(),
    }
