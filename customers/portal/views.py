"""The clienteling screen: a shell (header) and lazy htmx panels, plus search and client books.

Views are thin: read through selectors, write through services, render. Associates see every
shopper of the chain; what they write (notes, tasks) is written in their current store.
"""

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.errors import CustomerError
from customers.models import Channel, CustomerIdentity, Note, Task
from customers.normalise import format_phone, lookalike_domain
from customers.portal.access import customer_for_request
from customers.portal.contents import (
    lists_panel,
    notes_panel,
    offers_panel,
    recommendations_panel,
    tasks_panel,
    timeline_channel,
    timeline_channels,
)
from customers.portal.forms import NewCustomerForm, NoteForm, TaskForm
from customers.portal.panels import panels_for, render_below_fold
from customers.search import search_customer_page, search_customers
from customers.selectors import (
    consent_map,
    header_next_tier,
    header_spend,
    store_today,
    timeline_page,
)
from customers.services import (
    add_note,
    assign_associate,
    complete_task,
    create_customer,
    create_task,
    export_customer_data,
    pin_note,
    set_consent,
)
from retail.portal.access import portal_view

TYPEAHEAD = 10  # shoppers listed under the search box as the associate types


def _customer(request, customer_id: int, *, header: bool = False):
    return customer_for_request(request, customer_id, header=header)


@require_GET
@portal_view
def search(request):
    query = request.GET.get("q", "").strip()
    if request.htmx and request.GET.get("typeahead"):
        # one more than shown: the list then says that more match instead of stopping silently
        hits = search_customers(query, limit=TYPEAHEAD + 1, region=request.store.country) if query else []
        context = {"hits": hits[:TYPEAHEAD], "more": len(hits) > TYPEAHEAD, "query": query}
        return render(request, "customers/partials/search_results.html", context)
    try:
        page = int(request.GET.get("page") or 1)
    except ValueError:
        page = 1
    found = search_customer_page(query, page=page, region=request.store.country) if query else None
    if found and not request.htmx and found.total == 1 and found.hits[0].matched in {"phone", "card", "email"}:
        return redirect("customers_portal:detail", customer_id=found.hits[0].customer.pk)
    return render(
        request, "customers/search.html", {"found": found, "hits": found.hits if found else [], "query": query}
    )


@require_http_methods(["GET", "POST"])
@portal_view
def new_customer(request):
    """A shopper at the counter with no profile yet: the essentials, created in this store."""
    form = NewCustomerForm(request.POST or None, initial={"phone": request.GET.get("phone", "")})
    existing = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        mimicked = lookalike_domain(data["email"])
        if mimicked and not data["lookalike_ok"]:
            # A look-alike domain (gmail.com with a Cyrillic a) makes a second profile nobody finds
            # under the real address: the associate checks with the shopper first.
            local = data["email"].rpartition("@")[0].strip().lower()
            existing = (
                CustomerIdentity.objects.filter(kind="email", value=f"{local}@{mimicked}")
                .values_list("customer_id", flat=True)
                .first()
            )
            form.add_error(
                "email",
                _(
                    "%(email)s looks like an address at %(domain)s but is not one (a look-alike letter). "
                    "Check it with the shopper; tick the box below if it is right as typed."
                )
                % {"email": data["email"], "domain": mimicked},
            )
            if existing:
                form.add_error(
                    None,
                    _("A profile with %(email)s exists: is it the same person?") % {"email": f"{local}@{mimicked}"},
                )
            return render(request, "customers/new.html", {"form": form, "existing": existing, "lookalike": True})
        try:
            with transaction.atomic():
                customer = create_customer(
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    phone=data["phone"],
                    email=data["email"],
                    birthday=data["birthday"],
                    home_store=request.store,
                    actor=request.user,
                    store=request.store,
                )
                for channel in ("email", "sms"):
                    if data[f"consent_{channel}"]:
                        set_consent(
                            customer=customer,
                            channel=channel,
                            granted=True,
                            source=f"store:{request.store.code}",
                            actor=request.user,
                        )
        except CustomerError as exc:
            existing = exc.extra.get("customer_id")
            for field, errors in exc.fields.items():
                form.add_error(field if field in form.fields else None, errors)
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Profile created for %(customer)s.") % {"customer": customer})
            return redirect("customers_portal:detail", customer_id=customer.pk)
    return render(request, "customers/new.html", {"form": form, "existing": existing})


@require_POST
@portal_view
def consent(request, customer_id: int):
    """The shopper says yes or no at the counter; recorded with this store as the source."""
    customer = _customer(request, customer_id)
    channel, granted = request.POST.get("channel", ""), request.POST.get("granted") == "1"
    try:
        set_consent(
            customer=customer,
            channel=channel,
            granted=granted,
            source=f"store:{request.store.code}",
            actor=request.user,
        )
    except CustomerError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            (_("%(channel)s consent given.") if granted else _("%(channel)s consent withdrawn."))
            % {"channel": channel.upper()},
        )
    return redirect("customers_portal:detail", customer_id=customer.pk)


@require_GET
@portal_view
def detail(request, customer_id: int):
    """The clienteling screen's first view in one request: the header and the panels above the
    fold; the rest comes in one more request when the associate scrolls (`below_fold`). With
    `?all=1` (the link for a browser without JavaScript) every panel is on the page."""
    customer = _customer(request, customer_id, header=True)
    if customer.merged_into_id:
        messages.info(
            request,
            _("This profile was merged into %(customer)s; showing that one.") % {"customer": customer.merged_into},
        )
        return redirect("customers_portal:detail", customer_id=customer.merged_into_id)
    account = getattr(customer, "loyalty_account", None)
    credit = getattr(customer, "store_credit", None)
    upcoming, gap = header_next_tier(customer)
    context = {
        "customer": customer,
        "account": account,
        "credit_balance": credit.balance if credit else 0,
        # In the currency it was issued in; none yet: the one this store would issue it in.
        "credit_currency": (credit.currency if credit else "") or request.store.market.currency,
        "consents": consent_map(customer),
        "phone_display": format_phone(customer.phone, region=request.store.country),
        "lookalike_of": lookalike_domain(customer.email),
        "next_tier": upcoming,
        "next_tier_gap": gap,
        "spend": header_spend(customer),
        "panels": panels_for(request, customer, everything=request.GET.get("all") == "1"),
        "channel": timeline_channel(request),
        "sizes": [(cat.replace("-", " ").capitalize(), size) for cat, size in (customer.preferred_sizes or {}).items()],
        "channels_used": [dict(Channel.choices).get(c, c) for c in customer.channels or []],
        "is_manager": request.store_role == "manager",
    }
    return render(request, "customers/detail.html", context)


@require_GET
@portal_view
def below_fold(request, customer_id: int):
    """The panels under the first view, together (htmx, out-of-band into their placeholders)."""
    customer = _customer(request, customer_id)
    if not request.htmx:
        return redirect(reverse("customers_portal:detail", kwargs={"customer_id": customer.pk}) + "?all=1")
    return render(request, "customers/partials/below_fold.html", {"panels": render_below_fold(request, customer)})


@require_GET
@portal_view
def timeline(request, customer_id: int):
    customer = _customer(request, customer_id)
    channel = request.GET.get("channel", "")
    if channel and channel not in Channel.values:
        return HttpResponseBadRequest(_("Unknown channel."))
    before = request.GET.get("before")
    try:
        page = timeline_page(customer, channel=channel or None, before=before)
    except CustomerError as exc:
        return HttpResponseBadRequest(exc.message)
    context = {"customer": customer, "page": page, "channel": channel, "channels": timeline_channels()}
    template = "customers/partials/timeline_rows.html" if before else "customers/partials/timeline.html"
    if not request.htmx:
        template = "customers/timeline_page.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@portal_view
def notes(request, customer_id: int):
    customer = _customer(request, customer_id)
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            add_note(
                customer=customer,
                author=request.user,
                store=request.store,
                body=form.cleaned_data["body"],
                pinned=form.cleaned_data["pinned"],
            )
        except CustomerError as exc:
            form.add_error(None, exc.message)
        else:
            if not request.htmx:
                messages.success(request, _("Note added."))
            form = NoteForm()
    if request.method == "POST" and not request.htmx:
        if form.errors:
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect(reverse("customers_portal:detail", kwargs={"customer_id": customer.pk}) + "#panel-notes")
    return render(
        request, "customers/partials/notes.html", {"customer": customer, **notes_panel(request, customer, form=form)}
    )


@require_POST
@portal_view
def pin(request, customer_id: int, note_id: int):
    """Pin or unpin a note written in this store."""
    customer = _customer(request, customer_id)
    note = Note.objects.filter(pk=note_id, customer=customer).first()
    if note is None:
        raise Http404(_("No such note."))
    form, error = NoteForm(), None
    try:
        pin_note(note=note, pinned=request.POST.get("pinned") == "1", actor=request.user, store=request.store)
    except CustomerError as exc:
        error = exc.message
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(reverse("customers_portal:detail", kwargs={"customer_id": customer.pk}) + "#panel-notes")
    context = {"customer": customer, **notes_panel(request, customer, form=form), "error": error}
    return render(request, "customers/partials/notes.html", context)


@require_http_methods(["GET", "POST"])
@portal_view
def tasks(request, customer_id: int):
    customer = _customer(request, customer_id)
    today = store_today(request.store)
    form = TaskForm(request.POST or None, today=today)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            create_task(
                customer=customer,
                store=request.store,
                kind=data["kind"],
                channel=data["channel"],
                title=data["title"],
                due_on=data["due_on"],
                assignee=request.user,
                actor=request.user,
            )
        except CustomerError as exc:
            form.add_error("channel" if exc.code == "no_consent" else None, exc.message)
        else:  # the next task starts on the day just chosen: tasks are often set in a row for one day
            form = TaskForm(today=today)
            form.fields["due_on"].initial = data["due_on"]
    if request.method == "POST" and not request.htmx:
        if form.errors:
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect(reverse("customers_portal:detail", kwargs={"customer_id": customer.pk}) + "#panel-tasks")
    return render(
        request, "customers/partials/tasks.html", {"customer": customer, **tasks_panel(request, customer, form=form)}
    )


@require_POST
@portal_view
def close_task(request, customer_id: int, task_id: int):
    customer = _customer(request, customer_id)
    task = Task.objects.filter(pk=task_id, customer=customer).select_related("store").first()
    if task is None:
        raise Http404(_("No such task."))
    status = Task.Status.CANCELLED if request.POST.get("status") == "cancelled" else Task.Status.DONE
    error = None
    try:
        complete_task(task=task, actor=request.user, store=request.store, status=status)
    except CustomerError as exc:
        error = exc.message
        if not request.htmx:
            messages.error(request, error)
    if not request.htmx:
        return redirect(reverse("customers_portal:detail", kwargs={"customer_id": customer.pk}) + "#panel-tasks")
    context = {"customer": customer, **tasks_panel(request, customer), "error": error}
    return render(request, "customers/partials/tasks.html", context)


@require_GET
@portal_view
def offers(request, customer_id: int):
    customer = _customer(request, customer_id)
    return render(request, "customers/partials/offers.html", {"customer": customer, **offers_panel(request, customer)})


@require_GET
@portal_view
def lists(request, customer_id: int):
    customer = _customer(request, customer_id)
    return render(request, "customers/partials/lists.html", {"customer": customer, **lists_panel(request, customer)})


@require_GET
@portal_view
def recommendations(request, customer_id: int):
    customer = _customer(request, customer_id)
    context = {"customer": customer, **recommendations_panel(request, customer)}
    return render(request, "customers/partials/recommendations.html", context)


@require_POST
@portal_view
def assign_to_me(request, customer_id: int):
    customer = _customer(request, customer_id)
    assign_associate(customer=customer, associate=request.user, actor=request.user)
    messages.success(request, _("%(customer)s is now in your client book.") % {"customer": customer})
    return redirect("customers_portal:detail", customer_id=customer.pk)


@require_GET
@portal_view(manager_only=True)
def export(request, customer_id: int):
    customer = _customer(request, customer_id, header=True)
    data = export_customer_data(customer=customer, actor=request.user, store=request.store)
    response = HttpResponse(json.dumps(data, cls=DjangoJSONEncoder, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.json"'
    return response
