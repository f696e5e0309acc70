"""Privacy: export everything held about a shopper, and erase them (accounting rows kept anonymised)."""

import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.errors import CustomerCode, CustomerError
from customers.events import record_customer_erased
from customers.models import Customer, Interaction, ListItem, LoyaltyAccount, StoreCreditAccount
from customers.signals import customer_erased
from customers.timeline_messages import MESSAGE_KEY
from retail.errors import RetailCode
from retail.models import Store, User
from retail.services import record_audit_event

# What an erased shopper's timeline keeps: what accounting and stock need, nothing about the person.
KEPT_DATA_KEYS = {"order_number", "total", "currency", "lines", "offer", "reference", "return_number"}
KEPT_SUBJECT_KINDS = {"purchase", "return", "pickup", "offer_redeemed"}


def _iso(value):
    return value.isoformat() if value is not None else None


def export_customer_data(*, customer: Customer, actor: User | None, store: Store | None = None) -> dict:
    """Everything held about the shopper as JSON-ready data; the export itself is audited."""
    c = Customer.objects.select_related("home_store", "assigned_associate").get(pk=customer.pk)
    account = LoyaltyAccount.objects.filter(customer=c).select_related("tier").first()
    credit = StoreCreditAccount.objects.filter(customer=c).first()
    data = {
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "id": c.pk,
            "first_name": c.first_name,
            "last_name": c.last_name,
            "email": c.email,
            "phone": c.phone,
            "card_number": c.card_number,
            "birthday": _iso(c.birthday),
            "important_dates": c.important_dates,
            "home_store": c.home_store.code if c.home_store else None,
            "preferred_sizes": c.preferred_sizes,
            "tags": list(c.tags.values_list("name", flat=True)),
            "assigned_associate": str(c.assigned_associate) if c.assigned_associate else None,
            "has_account": c.user_id is not None,
            "created_at": _iso(c.created_at),
            "erased_at": _iso(c.erased_at),
        },
        "identities": list(c.identities.values("kind", "value", "created_at")),
        "consents": list(c.consents.values("channel", "granted", "changed_at", "source")),
        "interactions": list(
            c.interactions.order_by("occurred_at", "id").values(
                "occurred_at", "channel", "kind", "store__code", "subject", "data", "source", "external_id"
            )
        ),
        "notes": list(c.notes.values("created_at", "store__code", "body", "pinned")),
        "tasks": list(c.tasks.values("created_at", "kind", "channel", "title", "due_on", "status", "reason")),
        "loyalty": {
            "balance": account.balance if account else 0,
            "tier": account.tier.display_name if account and account.tier else None,
            "entries": list(account.entries.values("created_at", "kind", "points", "reference")) if account else [],
        },
        "store_credit": {
            "balance": str(credit.balance) if credit else "0.00",
            "entries": list(credit.entries.values("created_at", "kind", "amount", "reference")) if credit else [],
        },
        "offers": list(
            c.offer_assignments.values("offer__code", "offer__name", "assigned_at", "redeemed_at", "redeemed_channel")
        ),
    }
    data["lists"] = [
        {"name": lst.name, "kind": lst.kind, "items": list(lst.items.values("variant__sku", "quantity", "added_at"))}
        for lst in c.lists.all()
    ]
    record_audit_event(actor=actor, action="customer.exported", obj=c, store=store)
    return data


@transaction.atomic
def erase_customer(*, customer: Customer, actor: User | None, reason: str, store: Store | None = None) -> Customer:
    """Remove the shopper's personal data. Identities, consents, notes, tasks and lists go; the
    timeline, ledgers and (through `customer_erased`) orders stay, anonymised, for accounting."""
    if not reason:
        raise CustomerError(
            _("Say why (e.g. the request reference)."), code=RetailCode.INVALID, fields={"reason": [_("Required.")]}
        )
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at:
        raise CustomerError(_("This customer was already erased."), code=CustomerCode.CUSTOMER_ERASED)
    customer.identities.all().delete()
    customer.consents.all().delete()
    customer.notes.all().delete()
    customer.tasks.all().delete()
    ListItem.objects.filter(customer_list__customer=customer).delete()
    customer.lists.all().delete()
    customer.tags.clear()
    for interaction in (
        customer.interactions.exclude(data={}, subject="").only("id", "kind", "data", "subject").iterator()
    ):
        says = interaction.kind in KEPT_SUBJECT_KINDS  # its subject, and the message it is worded from
        kept = {k: v for k, v in interaction.data.items() if k in KEPT_DATA_KEYS or (says and k == MESSAGE_KEY)}
        subject = interaction.subject if says else ""
        if kept != interaction.data or subject != interaction.subject:
            Interaction.objects.filter(pk=interaction.pk).update(data=kept, subject=subject)
    user = customer.user
    now = timezone.now()
    customer.first_name = customer.last_name = customer.email = customer.phone = customer.card_number = ""
    customer.search_name = ""
    customer.birthday, customer.important_dates, customer.preferred_sizes = None, [], {}
    customer.assigned_associate, customer.user, customer.erased_at, customer.updated_at = None, None, now, now
    customer.save()
    if user is not None and not (user.is_staff or user.is_superuser):
        user.email = f"erased-{uuid.uuid4().hex}@erased.invalid"
        user.full_name, user.is_active = "", False
        user.set_unusable_password()
        user.save(update_fields=["email", "full_name", "is_active", "password"])
    customer_erased.send(sender=Customer, customer=customer)
    record_audit_event(actor=actor, action="customer.erased", obj=customer, store=store, details={"reason": reason})
    record_customer_erased(customer)
    return customer
