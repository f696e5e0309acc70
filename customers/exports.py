"""Customer CSV exports, streamed in one query: a marketing list that respects consent, and a
full list for customer service (a role check, and every export is audited by the caller).

- marketing: live profiles (not anonymous, merged away or erased) with an email address and a
  current "yes" to email marketing; only what a mailing needs. Consent is read from `Consent`
  rows, never assumed: no row means no consent.
- service: every live profile with contact details, balances and each channel's consent, for
  people who answer shoppers (customer service, admin).
"""

from collections.abc import Iterator

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from customers.models import Consent, Customer
from retail.models import User

MARKETING_COLUMNS = ["customer_id", "email", "first_name", "last_name", "home_store", "tier", "email_consent_since"]
SERVICE_COLUMNS = [
    "customer_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "card_number",
    "birthday",
    "home_store",
    "tier",
    "points",
    "store_credit",
    "email_consent",
    "sms_consent",
    "push_consent",
    "channels",
    "last_seen_at",
    "created_at",
]


class ExportRefused(Exception):
    pass


def check_export_permission(user: User | None, *, marketing: bool) -> None:
    """Marketing lists need `view_customer` (merchandisers); the full list `change_customer`
    (customer service, admin): it holds phone numbers, birthdays and balances of everybody."""
    needed = "customers.view_customer" if marketing else "customers.change_customer"
    if user is None or not user.is_active or not user.has_perm(needed):
        what = "the marketing list" if marketing else "the full customer list (service use)"
        raise ExportRefused(
            _("%(value)s may not export %(what)s: it needs the %(needed)s permission.")
            % {"value": user or "Nobody", "what": what, "needed": needed}
        )


def _consent(channel: str):
    return Exists(Consent.objects.filter(customer=OuterRef("pk"), channel=channel, granted=True))


def marketing_customers(customers: QuerySet[Customer] | None = None) -> QuerySet[Customer]:
    customers = Customer.objects.all() if customers is None else customers
    return customers.live().exclude(email="").filter(_consent("email"))


def customer_rows(
    customers: QuerySet[Customer] | None = None, *, marketing: bool, chunk_size: int = 2000
) -> Iterator[tuple]:
    customers = Customer.objects.all() if customers is None else customers
    if marketing:
        since = Consent.objects.filter(customer=OuterRef("pk"), channel="email").values("changed_at")[:1]
        rows = (
            marketing_customers(customers)
            .annotate(consent_since=Subquery(since), tier_name=F("loyalty_account__tier__name"))
            .order_by("pk")
            .values_list("pk", "email", "first_name", "last_name", "home_store__code", "tier_name", "consent_since")
        )
        for row in rows.iterator(chunk_size=chunk_size):
            yield (*row[:-1], row[-1].isoformat() if row[-1] else "")
        return
    rows = (
        customers.live()
        .annotate(email_ok=_consent("email"), sms_ok=_consent("sms"), push_ok=_consent("push"))
        .order_by("pk")
        .values_list(
            "pk",
            "first_name",
            "last_name",
            "email",
            "phone",
            "card_number",
            "birthday",
            "home_store__code",
            "loyalty_account__tier__name",
            "loyalty_account__balance",
            "store_credit__balance",
            "email_ok",
            "sms_ok",
            "push_ok",
            "channels",
            "last_seen_at",
            "created_at",
        )
    )
    for row in rows.iterator(chunk_size=chunk_size):
        pk, first, last, email, phone, card, birthday, store, tier, points, credit, *rest = row
        *consents, channels, seen, made = rest
        yield (
            pk,
            first,
            last,
            email,
            phone,
            card,
            birthday.isoformat() if birthday else "",
            store or "",
            tier or "",
            points or 0,
            credit if credit is not None else "0.00",
            *("yes" if ok else "no" for ok in consents),
            ";".join(channels or []),
            seen.isoformat() if seen else "",
            made.isoformat(),
        )
