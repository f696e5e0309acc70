"""Clienteling work: notes and tasks, written by an associate acting in their current store."""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.errors import CustomerCode, CustomerError
from customers.models import Consent, Customer, Interaction, ListItem, Note, Task
from customers.services._common import validation_to_error
from customers.services.timeline import record_interaction
from retail.domain.channel import Channel
from retail.errors import RetailCode
from retail.messages import Message, say
from retail.models import Store, StoreMembership, User
from retail.services import record_audit_event


def contact_cap() -> tuple[int, int]:
    """(at most N outreach tasks, per D days) for one shopper: CUSTOMERS_CONTACT_CAP / _WINDOW_DAYS."""
    return getattr(settings, "CUSTOMERS_CONTACT_CAP", 2), getattr(settings, "CUSTOMERS_CONTACT_WINDOW_DAYS", 7)


def require_store_member(user: User, store: Store) -> None:
    """Associates see every shopper of the chain but act only in a store they work in."""
    if user.is_superuser or getattr(user, "is_head_office", False):
        return
    if not StoreMembership.objects.filter(user=user, store=store).exists():
        raise CustomerError(
            _("You do not work at %(code)s; switch store first.") % {"code": store.code},
            code=RetailCode.NOT_STORE_MEMBER,
        )


def _live(customer: Customer) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at or customer.merged_into_id:
        raise CustomerError(
            _("This profile was erased or merged; open the surviving one."), code=CustomerCode.CUSTOMER_NOT_LIVE
        )
    return customer


@transaction.atomic
def add_note(*, customer: Customer, author: User, store: Store, body: str, pinned: bool = False) -> Note:
    require_store_member(author, store)
    customer = _live(customer)
    note = Note(
        customer=customer,
        author=author,
        store=store,
        body=(body or "").strip(),
        pinned=pinned,
        created_at=timezone.now(),
    )
    try:
        note.full_clean()
    except ValidationError as exc:
        raise validation_to_error(exc) from None
    note.save()
    record_interaction(
        customer=customer,
        channel=Channel.STORE,
        kind=Interaction.Kind.NOTE,
        source="notes",
        external_id=f"note:{note.pk}",
        occurred_at=note.created_at,
        store=store,
        associate=author,
        subject=note.body[:200],
    )
    record_audit_event(actor=author, action="customer.note_added", obj=customer, store=store, details={"note": note.pk})
    return note


@transaction.atomic
def pin_note(*, note: Note, pinned: bool, actor: User, store: Store) -> Note:
    require_store_member(actor, store)
    if note.store_id != store.pk:
        raise CustomerError(_("Only the store that wrote a note can pin it."), code=RetailCode.NOT_STORE_MEMBER)
    note.pinned = pinned
    note.save(update_fields=["pinned"])
    return note


@transaction.atomic
def create_task(
    *,
    customer: Customer,
    store: Store,
    kind: str,
    title: str,
    due_on: date,
    channel: str = "",
    assignee: User | None = None,
    actor: User | None = None,
    reason: str = Task.Reason.MANUAL,
    trigger_key: str = "",
    message: Message | None = None,
) -> Task:
    """Raise a task. Messages need the shopper's consent on their channel; calls and messages
    together respect the contact-frequency cap. Locks the profile so two associates racing to
    contact the same shopper cannot both pass the cap. A title raised by an event comes as `message`
    (customers.timeline_messages.say): worded in the reader's language, its English kept as the title."""
    if actor is not None:
        require_store_member(actor, store)
    if assignee is not None and not (
        assignee.is_head_office or StoreMembership.objects.filter(user=assignee, store=store).exists()
    ):
        raise CustomerError(
            _("%(assignee)s does not work at %(code)s.") % {"assignee": assignee, "code": store.code},
            code=RetailCode.NOT_STORE_MEMBER,
            fields={"assignee": [_("Not in this store.")]},
        )
    customer = _live(customer)
    if trigger_key:
        existing = Task.objects.filter(trigger_key=trigger_key).first()
        if existing is not None:
            return existing
    if kind == Task.Kind.MESSAGE:
        if channel not in Consent.Channel.values:
            raise CustomerError(
                _("Pick email, SMS or push for a message."),
                code=RetailCode.INVALID,
                fields={"channel": [_("Required.")]},
            )
        if not Consent.objects.filter(customer=customer, channel=channel, granted=True).exists():
            raise CustomerError(
                _("The shopper has not agreed to %(channel)s messages.") % {"channel": channel},
                code=CustomerCode.NO_CONSENT,
                fields={"channel": [_("No consent on this channel.")]},
            )
    elif kind != Task.Kind.CALL:
        channel = ""
    if kind in Task.OUTREACH_KINDS:
        cap, days = contact_cap()
        recent = Task.objects.filter(
            customer=customer, kind__in=Task.OUTREACH_KINDS, created_at__gte=timezone.now() - timedelta(days=days)
        ).exclude(status=Task.Status.CANCELLED)
        if recent.count() >= cap:
            raise CustomerError(
                _("This shopper was already contacted %(cap)s times in %(days)s days; try later.")
                % {"cap": cap, "days": days},
                code=CustomerCode.CONTACT_CAP_REACHED,
            )
    task = Task(
        customer=customer,
        store=store,
        kind=kind,
        channel=channel,
        title=(title or "").strip() or (message.subject if message else ""),
        message=message.stored if message else {},
        due_on=due_on,
        assignee=assignee,
        reason=reason,
        trigger_key=trigger_key,
        created_by=actor,
        created_at=timezone.now(),
    )
    try:
        task.full_clean(validate_constraints=False)
    except ValidationError as exc:
        raise validation_to_error(exc) from None
    task.save()
    record_audit_event(
        actor=actor,
        action="customer.task_created",
        obj=customer,
        store=store,
        details={"task": task.pk, "kind": kind, "reason": reason},
    )
    return task


def raise_task_for_event(
    *,
    customer: Customer,
    reason: str,
    trigger_key: str,
    message: Message,
    kind: str = Task.Kind.CALL,
    channel: str = "",
    store: Store | None = None,
    due_on: date | None = None,
) -> Task | None:
    """A task raised by an event (back in stock, birthday, pick-up not collected, return in store),
    landing with the shopper's associate or else the store. Returns None when consent, the contact
    cap or a missing store stops it (events are not errors), or when this trigger_key was raised before."""
    store = store or customer.home_store
    if store is None or Task.objects.filter(trigger_key=trigger_key).exists():
        return None
    try:
        return create_task(
            customer=customer,
            store=store,
            kind=kind,
            channel=channel,
            title="",
            message=message,
            due_on=due_on or timezone.localdate(),
            assignee=customer.assigned_associate,
            reason=reason,
            trigger_key=trigger_key,
        )
    except CustomerError as exc:
        if exc.code in {"no_consent", "contact_cap_reached", "customer_not_live", "not_store_member"}:
            return None
        raise


@transaction.atomic
def complete_task(*, task: Task, actor: User, store: Store, status: str = Task.Status.DONE) -> Task:
    require_store_member(actor, store)
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.store_id != store.pk:
        raise CustomerError(
            _("This task belongs to %(code)s.") % {"code": task.store.code}, code=RetailCode.NOT_STORE_MEMBER
        )
    if task.status != Task.Status.OPEN:
        raise CustomerError(_("This task is already closed."), code=CustomerCode.TASK_CLOSED)
    if status not in {Task.Status.DONE, Task.Status.CANCELLED}:
        raise CustomerError(_("Close a task as done or cancelled."), code=RetailCode.INVALID)
    task.status, task.completed_at = status, timezone.now()
    task.save(update_fields=["status", "completed_at"])
    record_audit_event(
        actor=actor, action=f"customer.task_{status}", obj=task.customer, store=store, details={"task": task.pk}
    )
    return task


def raise_birthday_tasks(*, today: date | None = None, days_ahead: int = 7) -> int:
    """Birthday calls for shoppers with a home store, a week ahead (run daily by Celery beat)."""
    today = today or timezone.localdate()
    target = today + timedelta(days=days_ahead)
    made = 0
    qs = Customer.objects.live().filter(
        birthday__month=target.month, birthday__day=target.day, home_store__isnull=False
    )
    for customer in qs.select_related("home_store", "assigned_associate").iterator(chunk_size=500):
        task = raise_task_for_event(
            customer=customer,
            reason=Task.Reason.BIRTHDAY,
            trigger_key=f"birthday:{customer.pk}:{target.year}",
            message=say("customers.birthday_task", day=target.isoformat(), name=customer.first_name)
            if customer.first_name
            else say("customers.birthday_task_unnamed", day=target.isoformat()),
            due_on=today,
        )
        made += task is not None
    return made


def raise_back_in_stock_tasks(*, pairs: list[tuple[int, int]]) -> int:
    """For each (variant, location) back in stock: a task for every shopper whose home store it is
    and who wish-listed that variant (once per list item and day; consent and cap respected)."""

    made = 0
    today = timezone.localdate()
    for variant_id, location_id in pairs:
        items = ListItem.objects.filter(
            variant_id=variant_id,
            customer_list__kind="wishlist",
            customer_list__customer__home_store_id=location_id,
            customer_list__customer__erased_at__isnull=True,
            customer_list__customer__merged_into__isnull=True,
        ).select_related(
            "variant__product", "customer_list__customer__home_store", "customer_list__customer__assigned_associate"
        )
        for item in items[:500]:
            customer = item.customer_list.customer
            task = raise_task_for_event(
                customer=customer,
                reason=Task.Reason.BACK_IN_STOCK,
                kind=Task.Kind.CALL,
                trigger_key=f"back_in_stock:{item.pk}:{location_id}:{today:%Y%m%d}",
                message=say("customers.back_in_stock_task", product=item.variant.product.name, sku=item.variant.sku),
            )
            made += task is not None
    return made


def raise_important_date_tasks(*, today: date | None = None, days_ahead: int = 7) -> int:
    """Calls a week before the dates shoppers told us about (anniversaries...), every year."""
    today = today or timezone.localdate()
    target = today + timedelta(days=days_ahead)
    made = 0
    qs = Customer.objects.live().filter(home_store__isnull=False).exclude(important_dates=[])
    for customer in qs.select_related("home_store", "assigned_associate").iterator(chunk_size=500):
        for item in customer.important_dates or []:
            try:
                when = date.fromisoformat(item["date"])
            except (KeyError, TypeError, ValueError):
                continue
            if (when.month, when.day) != (target.month, target.day):
                continue
            task = raise_task_for_event(
                customer=customer,
                reason=Task.Reason.IMPORTANT_DATE,
                due_on=today,
                trigger_key=f"date:{customer.pk}:{item.get('label', '')[:40]}:{target.year}",
                message=say(
                    "customers.important_date_task",
                    label=str(item["label"])[:80],
                    day=target.isoformat(),
                    name=customer.first_name,
                )
                if item.get("label")
                else say("customers.important_date_task_unnamed", day=target.isoformat(), name=customer.first_name),
            )
            made += task is not None
    return made
