"""Client books: each associate's, the store's, and a manager handing one over."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from customers.errors import CustomerError
from customers.selectors import client_book, tasks_due
from customers.services import reassign_client_book
from retail.models import User
from retail.portal.access import portal_view


@require_GET
@portal_view
def book(request):
    """Client books: mine, the store's (shoppers whose home store this is), or a colleague's (managers)."""
    is_manager = request.store_role == "manager"
    colleagues = list(User.objects.staff_of(request.store).order_by("full_name", "email")) if is_manager else []
    scope = request.GET.get("scope", "mine")
    owner = request.user
    if scope == "store":
        clients, owner = client_book(store=request.store), None
    elif scope.isdigit() and is_manager:
        owner = next((u for u in colleagues if u.pk == int(scope)), request.user)
        clients = client_book(associate=owner)
    else:
        scope, clients = "mine", client_book(associate=request.user)
    context = {
        "clients": list(clients[:200]),
        "scope": scope,
        "owner": owner,
        "colleagues": colleagues,
        "is_manager": is_manager,
        "due": list(tasks_due(store=request.store, user=request.user)[:50]),
    }
    return render(request, "customers/book.html", context)


@require_POST
@portal_view(manager_only=True)
def reassign_book(request):
    """A manager hands one associate's client book to a colleague of this store."""
    staff = {u.pk: u for u in User.objects.staff_of(request.store)}
    try:
        source, target = (
            staff[int(request.POST.get("from_associate", 0))],
            staff[int(request.POST.get("to_associate", 0))],
        )
    except (KeyError, ValueError):
        messages.error(request, _("Pick two colleagues of this store."))
        return redirect("customers_portal:book")
    if source.pk == target.pk:
        messages.error(request, _("Pick two different colleagues."))
        return redirect("customers_portal:book")
    try:
        moved = reassign_client_book(
            from_associate=source, to_associate=target, store=request.store, actor=request.user
        )
    except CustomerError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s client moved from %(source)s to %(target)s.",
                "%(count)s clients moved from %(source)s to %(target)s.",
                moved,
            )
            % {"count": moved, "source": source, "target": target},
        )
    return redirect(f"{reverse('customers_portal:book')}?scope={target.pk}")
