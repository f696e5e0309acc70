"""Merging two profiles of one person, and undoing it.

What moves is written down in `CustomerMerge.moved` so the undo moves exactly that back. Points
and store credit move as ledger entries (an `adjust` out of one account and into the other), so
both ledgers still sum to their balances.
"""

from decimal import Decimal

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.errors import CustomerCode, CustomerError
from customers.events import record_customer_merged
from customers.models import (
    Consent,
    Customer,
    CustomerList,
    CustomerMerge,
    ListItem,
    LoyaltyAccount,
    OfferAssignment,
    PointsEntry,
    StoreCreditAccount,
    StoreCreditEntry,
)
from customers.services.loyalty import recalculate_tier
from customers.signals import customer_merge_undone, customer_merged
from retail.models import User
from retail.services import record_audit_event

# Rows of this app that follow the person: (model label, customer field). Lists join when they exist.
MOVABLE = [
    ("customers.CustomerIdentity", "customer"),
    ("customers.Interaction", "customer"),
    ("customers.PurchasedItem", "customer"),
    ("customers.Note", "customer"),
    ("customers.Task", "customer"),
]
FILLABLE = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "card_number",
    "birthday",
    "home_store_id",
    "assigned_associate_id",
    "search_name",
    "language",
]


def _movable():
    return MOVABLE


def _merge_lists(source: Customer, target: Customer) -> dict:
    """Items move into the target's list of the same kind and name; lists it lacks move whole."""
    moved_lists, moved_items = [], {}
    mine = {(lst.kind, lst.name): lst for lst in CustomerList.objects.filter(customer=target)}
    for lst in CustomerList.objects.filter(customer=source):
        into = mine.get((lst.kind, lst.name))
        if into is None:
            moved_lists.append(lst.pk)
            continue
        have = set(into.items.values_list("variant_id", flat=True))
        ids = list(lst.items.exclude(variant_id__in=have).values_list("pk", flat=True))
        ListItem.objects.filter(pk__in=ids).update(customer_list=into)
        moved_items[str(lst.pk)] = ids
    CustomerList.objects.filter(pk__in=moved_lists).update(customer=target)
    return {"lists": moved_lists, "items": moved_items}


def _unmerge_lists(moved: dict, source: Customer, target: Customer) -> None:
    CustomerList.objects.filter(pk__in=moved.get("lists", []), customer=target).update(customer=source)
    for list_id, ids in (moved.get("items") or {}).items():
        ListItem.objects.filter(pk__in=ids).update(customer_list_id=int(list_id))


def _lock_pair(a: Customer, b: Customer) -> tuple[Customer, Customer]:
    rows = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[a.pk, b.pk]).order_by("pk")}
    return rows[a.pk], rows[b.pk]


def _transfer_balance(model, entry_model, *, source, target, amount, reference, kind_field, actor):
    """Move `amount` from source's account to target's with two adjust entries (both rows locked)."""
    accounts = []
    for customer in sorted([source, target], key=lambda c: c.pk):
        model.objects.bulk_create([model(customer=customer, created_at=timezone.now())], ignore_conflicts=True)
        accounts.append(model.objects.select_for_update().get(customer=customer))
    by_customer = {a.customer_id: a for a in accounts}
    out, into = by_customer[source.pk], by_customer[target.pk]
    if out.balance < amount:
        raise CustomerError(
            _("The balance moved by the merge was spent since; adjust it by hand first."),
            code=CustomerCode.MERGE_UNDO_BLOCKED,
        )
    now = timezone.now()
    for account, signed in ((out, -amount), (into, amount)):
        entry_model.objects.create(
            account=account, kind="adjust", reference=reference, created_at=now, actor=actor, **{kind_field: signed}
        )
        account.balance += signed
        account.save(update_fields=["balance"])


def check_mergeable(*, source: Customer, target: Customer) -> None:
    """Raise the CustomerError `merge_customers` would raise for this pair (nothing is locked: the
    merge checks again under its locks). The admin's confirmation page says it before the click."""
    if source.pk == target.pk:
        raise CustomerError(_("A profile cannot be merged into itself."), code=CustomerCode.MERGE_SAME_CUSTOMER)
    if source.merged_into_id or target.merged_into_id:
        raise CustomerError(_("One of these profiles was already merged away."), code=CustomerCode.ALREADY_MERGED)
    if source.erased_at or target.erased_at:
        raise CustomerError(_("Erased profiles cannot be merged."), code=CustomerCode.CUSTOMER_ERASED)
    if source.user_id and target.user_id:
        raise CustomerError(
            _("Both profiles have an app/web account; the shopper must keep one."), code=CustomerCode.MERGE_TWO_ACCOUNTS
        )


def merged_fields(*, source: Customer, target: Customer) -> set[str]:
    """The profile fields the target takes from the source (those it has empty)."""
    return {name for name in FILLABLE if not getattr(target, name) and getattr(source, name)}


@transaction.atomic
def merge_customers(
    *, source: Customer, target: Customer, actor: User | None = None, reason: str = ""
) -> CustomerMerge:
    """Merge `source` into `target`: identities, timeline, notes, tasks, lists, offers, consents and
    balances move; empty profile fields of the target are filled from the source. Other apps
    re-point their rows on the `customer_merged` signal. Locks both profiles in pk order."""
    check_mergeable(source=source, target=target)
    source, target = _lock_pair(source, target)
    check_mergeable(source=source, target=target)
    now = timezone.now()
    merge = CustomerMerge.objects.create(source=source, target=target, actor=actor, reason=reason[:200], merged_at=now)
    moved: dict = {}
    for label, field in _movable():
        model = apps.get_model(label)
        ids = list(model.objects.filter(**{field: source}).values_list("pk", flat=True))
        if ids:
            model.objects.filter(pk__in=ids).update(**{field: target})
            moved[label] = ids

    moved["customers.CustomerList"] = _merge_lists(source, target)
    taken = set(OfferAssignment.objects.filter(customer=target).values_list("offer_id", flat=True))
    offer_ids = list(
        OfferAssignment.objects.filter(customer=source).exclude(offer_id__in=taken).values_list("pk", flat=True)
    )
    OfferAssignment.objects.filter(pk__in=offer_ids).update(customer=target)
    moved["customers.OfferAssignment"] = offer_ids

    # Consents: the newer statement wins (an opt-out given on the duplicate must be honoured).
    target_consents = {c.channel: c for c in Consent.objects.filter(customer=target)}
    overrides, moved_consents = {}, []
    for consent in Consent.objects.filter(customer=source):
        mine = target_consents.get(consent.channel)
        if mine is None:
            moved_consents.append(consent.pk)
        elif consent.changed_at > mine.changed_at:
            overrides[consent.channel] = [mine.granted, mine.changed_at.isoformat(), mine.source]
            mine.granted, mine.changed_at, mine.source = consent.granted, consent.changed_at, consent.source
            mine.save(update_fields=["granted", "changed_at", "source"])
    Consent.objects.filter(pk__in=moved_consents).update(customer=target)
    moved["customers.Consent"], moved["consent_overrides"] = moved_consents, overrides

    points = LoyaltyAccount.objects.filter(customer=source).values_list("balance", flat=True).first() or 0
    if points:
        _transfer_balance(
            LoyaltyAccount,
            PointsEntry,
            source=source,
            target=target,
            amount=points,
            reference=f"merge:{merge.pk}",
            kind_field="points",
            actor=actor,
        )
    credit = StoreCreditAccount.objects.filter(customer=source).values_list("balance", flat=True).first() or 0
    if credit:
        _transfer_balance(
            StoreCreditAccount,
            StoreCreditEntry,
            source=source,
            target=target,
            amount=credit,
            reference=f"merge:{merge.pk}",
            kind_field="amount",
            actor=actor,
        )
    moved["points"], moved["store_credit"] = points, str(credit)

    filled, to_fill = {}, merged_fields(source=source, target=target)
    for name in FILLABLE:
        if name in to_fill:
            filled[name] = getattr(target, name)
            setattr(target, name, getattr(source, name))
    if not target.first_name and not target.last_name:
        filled.pop("search_name", None)
    if target.is_anonymous and not source.is_anonymous:
        filled["is_anonymous"] = True
        target.is_anonymous = False
    moved["sizes_before"] = dict(target.preferred_sizes)
    target.preferred_sizes = {**source.preferred_sizes, **target.preferred_sizes}
    target.channels = sorted({*(source.channels or []), *(target.channels or [])})
    if source.last_seen_at and (not target.last_seen_at or source.last_seen_at > target.last_seen_at):
        target.last_seen_at = source.last_seen_at
    moved["filled"] = {k: (str(v) if v is not None else None) for k, v in filled.items()}
    moved["tags"] = list(source.tags.exclude(pk__in=target.tags.all()).values_list("pk", flat=True))
    target.tags.add(*moved["tags"])
    if source.user_id and not target.user_id:
        moved["user"] = source.user_id
        user_id = source.user_id
        Customer.objects.filter(pk=source.pk).update(user=None)
        target.user_id = user_id
    target.updated_at = now
    target.save()
    Customer.objects.filter(pk=source.pk).update(merged_into=target, updated_at=now)
    source.merged_into = target

    merge.moved = moved  # receivers add their own labels to this dict before it is saved
    customer_merged.send(sender=Customer, merge=merge, source=source, target=target)
    merge.save(update_fields=["moved"])

    recalculate_tier(customer=target)
    if not source.is_anonymous:
        record_audit_event(
            actor=actor,
            action="customer.merged",
            obj=target,
            details={"source": source.pk, "merge": merge.pk, "reason": reason},
        )
        record_customer_merged(source_id=source.pk, target_id=target.pk, merge_id=merge.pk)
    return merge


@transaction.atomic
def undo_merge(*, merge: CustomerMerge, actor: User | None = None) -> CustomerMerge:
    """Move back exactly what the merge moved; refuses when the moved balances were spent since."""
    merge = CustomerMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at:
        raise CustomerError(_("This merge was already undone."), code=CustomerCode.MERGE_ALREADY_UNDONE)
    source, target = _lock_pair(merge.source, merge.target)
    if target.merged_into_id:
        raise CustomerError(
            _("The surviving profile was merged again; undo that merge first."), code=CustomerCode.MERGE_UNDO_BLOCKED
        )
    moved = merge.moved
    if moved.get("points"):
        _transfer_balance(
            LoyaltyAccount,
            PointsEntry,
            source=target,
            target=source,
            amount=moved["points"],
            reference=f"unmerge:{merge.pk}",
            kind_field="points",
            actor=actor,
        )

    credit = Decimal(moved.get("store_credit") or "0")
    if credit:
        _transfer_balance(
            StoreCreditAccount,
            StoreCreditEntry,
            source=target,
            target=source,
            amount=credit,
            reference=f"unmerge:{merge.pk}",
            kind_field="amount",
            actor=actor,
        )
    for label, field in [*_movable(), ("customers.OfferAssignment", "customer"), ("customers.Consent", "customer")]:
        ids = moved.get(label) or []
        if ids:
            apps.get_model(label).objects.filter(pk__in=ids, **{field: target}).update(**{field: source})
    _unmerge_lists(moved.get("customers.CustomerList") or {}, source, target)
    for channel, (granted, changed_at, consent_source) in (moved.get("consent_overrides") or {}).items():
        Consent.objects.filter(customer=target, channel=channel).update(
            granted=granted, changed_at=changed_at, source=consent_source
        )
    for name, old in (moved.get("filled") or {}).items():
        if name == "is_anonymous":
            target.is_anonymous = True
        elif name.endswith("_id"):
            setattr(target, name, int(old) if old else None)
        elif name == "birthday":
            target.birthday = None
        else:
            setattr(target, name, old or "")
    if "sizes_before" in moved:
        target.preferred_sizes = moved["sizes_before"]
    target.tags.remove(*(moved.get("tags") or []))
    if moved.get("user"):
        target.user_id = None
        target.save(update_fields=["user"])
        Customer.objects.filter(pk=source.pk).update(user_id=moved["user"])
    target.channels = sorted(set(target.interactions.values_list("channel", flat=True).distinct().order_by()))
    target.updated_at = timezone.now()
    target.save()
    Customer.objects.filter(pk=source.pk).update(merged_into=None, updated_at=timezone.now())
    source.merged_into = None
    customer_merge_undone.send(sender=Customer, merge=merge, source=source, target=target)
    merge.undone_at, merge.undone_by = timezone.now(), actor
    merge.save(update_fields=["undone_at", "undone_by"])

    recalculate_tier(customer=target)
    recalculate_tier(customer=source)
    record_audit_event(
        actor=actor, action="customer.merge_undone", obj=target, details={"source": source.pk, "merge": merge.pk}
    )
    record_customer_merged(source_id=source.pk, target_id=target.pk, merge_id=merge.pk, undone=True)
    return merge
