"""Webhook events of the customers app: customer.created/updated/merged/erased, storecredit.changed.

customer.erased carries the profile id and the time only: no name, contact or card, since the
point is that those are gone (receivers delete what they hold for that id).
"""

from retail.domain.money import money
from webhooks.events import record_event, scrub_events


def _iso(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def customer_data(customer) -> dict:
    return {
        "id": customer.pk,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
        "phone": customer.phone,
        "card_number": customer.card_number,
        "home_store_id": customer.home_store_id,
        "created_at": _iso(customer.created_at),
        "updated_at": _iso(customer.updated_at),
    }


def record_customer_created(customer) -> None:
    record_event(type="customer.created", data={"customer": customer_data(customer)}, key=f"customer:{customer.pk}")


def record_customer_updated(customer, changed: list[str]) -> None:
    record_event(
        type="customer.updated",
        data={"customer": customer_data(customer), "changed": sorted(changed)},
        key=f"customer:{customer.pk}",
    )


def record_customer_merged(*, source_id: int, target_id: int, merge_id: int, undone: bool = False) -> None:
    record_event(
        type="customer.merged",
        data={"source_id": source_id, "target_id": target_id, "merge_id": merge_id, "undone": undone},
        key=f"customer:{target_id}",
    )


def record_customer_erased(customer) -> None:
    """The erased event, and the personal data of earlier events about the profile scrubbed."""
    scrub_events(key=f"customer:{customer.pk}", types=["customer.created", "customer.updated"],
                 data={"customer": {"id": customer.pk}, "erased": True})  # fmt: skip
    record_event(
        type="customer.erased",
        data={"customer_id": customer.pk, "erased_at": _iso(customer.erased_at)},
        key=f"customer:{customer.pk}",
    )


def record_gift_card_changed(card, entry) -> None:
    """Named by its id and last four digits: the number itself is never stored, nor sent."""
    record_event(
        type="giftcard.changed",
        data={
            "gift_card_id": card.pk,
            "last4": card.last4,
            "currency": card.currency,
            "balance": str(money(card.balance)),
            "change": str(money(entry.amount)),
            "kind": entry.kind,
            "reference": entry.reference,
            "status": card.status,
            "customer_id": card.customer_id,
        },
        key=f"giftcard:{card.pk}",
    )


def record_store_credit_changed(account, entry) -> None:
    record_event(
        type="storecredit.changed",
        data={
            "customer_id": account.customer_id,
            "balance": str(money(account.balance)),
            "change": str(money(entry.amount)),
            "kind": entry.kind,
            "reference": entry.reference,
        },
        key=f"customer:{account.customer_id}",
    )
