"""CSV imports of customers and of historical transactions (the admin page and the commands).

Both check every line before writing anything: with any bad line, nothing is written and each
problem is reported as "line N: ...". Both are idempotent: importing the same file again changes
nothing. Files are read through an `opener` (a callable returning a fresh text stream), so a
large file is streamed pass after pass instead of being held in memory.
"""

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Consent, Customer, CustomerIdentity, Tag
from customers.normalise import normalise_card, normalise_email, normalise_phone
from customers.services import create_customer, set_consent, set_customer_tags, update_customer_profile
from customers.services.profiles import EARLIEST_BIRTHDAY, live_profile, new_customer
from retail.models import AuditEvent, Store, User
from retail.services import record_audit_event
from retail.spreadsheets import formula_cell, formula_error, line_error

Opener = Callable[[], IO[str]]
Progress = Callable[[str, int], None]
CENT = Decimal("0.01")
MAX_ERRORS = 500
YES, NO = {"1", "true", "yes", "y"}, {"0", "false", "no", "n"}
BATCH = 1000  # new customers written per bulk INSERT (and their identities, consents, tags, audit lines)


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)  # "line N: message", in the language of who imports

    def error(self, line: int, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(line_error(line, message))
        elif len(self.errors) == MAX_ERRORS:
            self.errors.append(_("… more errors not shown; correct these first"))


def text_opener(text: str) -> Opener:
    return lambda: io.StringIO(text)


def file_opener(path) -> Opener:
    return lambda: open(path, encoding="utf-8-sig", newline="")  # closed by read_rows


class HeaderError(Exception):
    pass


def read_rows(opener: Opener, *, required: list[str], optional: list[str]) -> Iterator[tuple[int, dict]]:
    """(line number, {column: stripped cell}) for each data row; HeaderError on a bad header."""
    with opener() as stream:
        reader = csv.reader(stream)
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            raise HeaderError(line_error(1, _("the file is empty; it needs a header row"))) from None
        except csv.Error as exc:
            raise HeaderError(line_error(1, _("not valid CSV (%(problem)s)") % {"problem": exc})) from None
        missing = [c for c in required if c not in header]
        if missing:
            raise HeaderError(
                line_error(
                    1,
                    _("missing column(s) %(missing)s; columns are %(columns)s")
                    % {"missing": ", ".join(missing), "columns": ", ".join(required + optional)},
                )
            )
        unknown = [c for c in header if c not in required + optional]
        if unknown:
            raise HeaderError(line_error(1, _("unknown column(s) %(unknown)s") % {"unknown": ", ".join(unknown)}))
        width = len(header)
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield reader.line_num, {"__error__": _("not valid CSV (%(problem)s)") % {"problem": exc}}
                continue
            if not cells or not any(c.strip() for c in cells):
                continue
            if len(cells) != width:
                yield (
                    reader.line_num,
                    {"__error__": _("%(cells)s cells but %(width)s columns") % {"cells": len(cells), "width": width}},
                )
                continue
            row = {k: v.strip() for k, v in zip(header, cells, strict=True)}
            if column := formula_cell(row):
                yield reader.line_num, {"__error__": formula_error(column)}
                continue
            yield reader.line_num, row


def _consent(value: str) -> bool | None:
    low = value.lower()
    if low in YES:
        return True
    if low in NO:
        return False
    if low == "":
        return None
    raise ValueError


# --------------------------------------------------------------------------- customers

CUSTOMER_COLUMNS = [
    "email",
    "phone",
    "card_number",
    "first_name",
    "last_name",
    "birthday",
    "home_store",
    "tags",
    "email_consent",
    "sms_consent",
    "push_consent",
]
# Shown on the admin's import page in the reader's language (and by the management command in English).
CUSTOMER_HELP = format_lazy(
    gettext_lazy(
        "Columns (any subset, header row required; email or card_number must be there): {columns}.\nA customer is "
        "matched by email, else by loyalty card: found ones are updated (blank cells leave a field as it is), others "
        "are created. Email is stored lower-case, phone as E.164 (national numbers read in {region}), cards without "
        "spaces or dashes. birthday: YYYY-MM-DD. home_store: a store code. tags: separated by ';' (added, never "
        "removed). *_consent: yes / no / blank (blank: unchanged); recorded with source 'import'."
    ),
    columns=", ".join(CUSTOMER_COLUMNS),
    region=getattr(settings, "PHONE_REGION", "GB"),
)
# Whole sentences per identity, so each language words "email", "card" and "phone" itself.
ALSO_ON_LINE = {
    "email": gettext_lazy("email %(value)s is also on line %(other)s"),
    "card": gettext_lazy("card %(value)s is also on line %(other)s"),
    "phone": gettext_lazy("phone %(value)s is also on line %(other)s"),
}
ANOTHER_IDENTITY = {
    "email": gettext_lazy("customer #%(id)s already has another email; change it in the admin"),
    "card": gettext_lazy("customer #%(id)s already has another card; change it in the admin"),
}
CONSENT_COLUMNS = {"email_consent": "email", "sms_consent": "sms", "push_consent": "push"}


def _check_customer_row(line: int, row: dict, report: ImportReport) -> dict | None:
    before = len(report.errors)
    clean: dict = {}
    try:
        clean["email"] = normalise_email(row.get("email", ""))
    except ValidationError:
        report.error(line, _("email %(value)r is not an email address") % {"value": row.get("email")})
    try:
        clean["phone"] = normalise_phone(row.get("phone", ""))
    except ValidationError as exc:
        report.error(line, _("phone %(value)r: %(problem)s") % {"value": row.get("phone"), "problem": exc.messages[0]})
    clean["card_number"] = normalise_card(row.get("card_number", ""))
    if len(clean["card_number"]) > 20:
        report.error(line, _("card_number is longer than 20 characters"))
    if not clean.get("email") and not clean["card_number"] and len(report.errors) == before:
        report.error(line, _("give an email or a card_number: customers are matched by them"))
    for name in ("first_name", "last_name"):
        clean[name] = row.get(name, "")
        if len(clean[name]) > 80:
            report.error(line, _("%(column)s is longer than 80 characters") % {"column": name})
    clean["birthday"] = None
    if row.get("birthday"):
        try:
            clean["birthday"] = date.fromisoformat(row["birthday"])
        except ValueError:
            report.error(line, _("birthday %(value)r is not a date like 1990-04-23") % {"value": row["birthday"]})
        else:
            if not EARLIEST_BIRTHDAY <= clean["birthday"] <= timezone.localdate():
                report.error(
                    line,
                    _("birthday %(value)r is not a day that has passed, from 1900 on") % {"value": row["birthday"]},
                )
    clean["home_store"] = row.get("home_store", "")
    clean["tags"] = sorted({t.strip().lower().replace(" ", "-") for t in row.get("tags", "").split(";") if t.strip()})
    for tag in clean["tags"]:
        try:
            Tag(name=tag).full_clean(validate_unique=False)
        except ValidationError:
            report.error(line, _("tag %(tag)r may hold only letters, digits, - and _ (at most 40)") % {"tag": tag})
    clean["consents"] = {}
    for column, channel in CONSENT_COLUMNS.items():
        try:
            granted = _consent(row.get(column, ""))
        except ValueError:
            report.error(
                line, _("%(column)s must be yes, no or blank, not %(value)r") % {"column": column, "value": row[column]}
            )
            continue
        if granted is not None:
            clean["consents"][channel] = granted
    return clean if len(report.errors) == before else None


def import_customers(*, opener: Opener, actor: User | None = None, dry_run: bool = False) -> ImportReport:
    """Create or update customers from CSV (see CUSTOMER_HELP).

    New customers are written in bulk (_create_customers: the same rows the services write, a few
    INSERTs per BATCH); found ones are updated one by one through the customers' services.
    """
    report = ImportReport()
    planned: list[tuple[int, dict]] = []
    first_line: dict[tuple[str, str], int] = {}
    try:
        for line, row in read_rows(opener, required=[], optional=CUSTOMER_COLUMNS):
            report.rows += 1
            if "__error__" in row:
                report.error(line, row["__error__"])
                continue
            clean = _check_customer_row(line, row, report)
            if clean is None:
                continue
            for kind, value in (("email", clean["email"]), ("card", clean["card_number"]), ("phone", clean["phone"])):
                if value and first_line.setdefault((kind, value), line) != line:
                    report.error(
                        line,
                        ALSO_ON_LINE[kind] % {"value": value, "other": first_line[(kind, value)]},
                    )
            planned.append((line, clean))
    except HeaderError as exc:
        report.errors.append(str(exc))
        return report
    if not report.rows and not report.errors:
        report.errors.append(line_error(2, _("the file has no data rows")))
    stores = {
        s.code: s
        for s in Store.objects.filter(
            code__in={c["home_store"] for _, c in planned if c["home_store"]}, kind=Store.Kind.STORE, is_active=True
        )
    }
    owners = _identity_owners(planned)
    matches: dict[int, Customer | None] = {}
    for line, clean in planned:
        if clean["home_store"] and clean["home_store"] not in stores:
            report.error(line, _("home_store %(code)r is not an open store's code") % {"code": clean["home_store"]})
        by_email = owners.get(("email", clean["email"]))
        by_card = owners.get(("card", clean["card_number"]))
        if by_email and by_card and by_email.pk != by_card.pk:
            report.error(
                line,
                _("email belongs to customer #%(email_owner)s but card %(card)s to #%(card_owner)s; merge them first")
                % {"email_owner": by_email.pk, "card": clean["card_number"], "card_owner": by_card.pk},
            )
            continue
        match = by_email or by_card
        if match is not None and match.erased_at:
            report.error(line, _("customer #%(id)s was erased; their data cannot be imported again") % {"id": match.pk})
            continue
        holder = owners.get(("phone", clean["phone"]))
        if holder is not None and (match is None or holder.pk != match.pk):
            report.error(
                line,
                _("phone %(phone)s already belongs to customer #%(id)s") % {"phone": clean["phone"], "id": holder.pk},
            )
        for kind, key in (("email", "email"), ("card", "card_number")):
            held = owners.get((kind, clean[key]))
            if match is not None and held is None and clean[key] and getattr(match, key) not in ("", clean[key]):
                report.error(
                    line,
                    ANOTHER_IDENTITY[kind] % {"id": match.pk},
                )
        matches[line] = match
    if report.errors or dry_run:
        return report
    try:
        with transaction.atomic():
            _create_customers([clean for line, clean in planned if matches[line] is None], stores, actor, report)
            for line, clean in planned:
                if matches[line] is not None:
                    _write_customer(clean, matches[line], stores, actor, report)
            record_audit_event(
                actor=actor,
                action="customers.imported",
                object_type="customers.customer",
                details={"rows": report.rows, "created": report.created, "updated": report.updated},
            )
    except IntegrityError:
        # Checked above; only a writer that took one of the file's emails/cards/phones meanwhile gets here.
        report.created = report.updated = report.unchanged = 0
        report.errors.append(_("an email, card or phone of the file was taken while importing; nothing was written"))
    return report


def _create_customers(rows: list[dict], stores: dict, actor: User | None, report: ImportReport) -> None:
    """Write the new customers of the file in batches: what create_customer, set_customer_tags and
    set_consent(source="import") write for each of them, a few INSERTs per BATCH rows instead of ~7 per row.

    Same values: the profile is built by the service's own new_customer (normalised contacts, stripped
    names, search_name; PostgreSQL's triggers fill SearchName on insert as for any write). Same rows:
    email/phone/card identities, one Consent per given channel, tags through the through-table, and
    the audit lines the services record (customer.created, customer.tags_set,
    customer.consent_changed), so a profile's trail does not depend on how it arrived. create_customer
    opens no loyalty account (one is made on the first points) and sends no signal or outbox message,
    so there is none to send here. The checks create_customer's full_clean makes with queries are
    not repeated: the file was checked against the identities and open stores above, and the one
    constraint (merged_into is not the row itself) cannot fail for a new profile.
    """
    if not rows:
        return
    now = timezone.now()
    actor = actor if isinstance(actor, User) and actor.pk else None
    actor_label = (str(actor) if actor else "system")[:200]
    tags = _tags({name for clean in rows for name in clean["tags"]})
    Through = Customer.tags.through

    def audit(action: str, customer: Customer, details: dict | None = None) -> AuditEvent:
        return AuditEvent(
            actor=actor,
            actor_label=actor_label,
            action=action,
            object_type="customers.customer",
            object_id=str(customer.pk),
            occurred_at=now,
            details=details or {},
        )

    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        customers = []
        for clean in batch:
            customer = new_customer(
                first_name=clean["first_name"],
                last_name=clean["last_name"],
                email=clean["email"],
                phone=clean["phone"],
                card_number=clean["card_number"],
                birthday=clean["birthday"],
                home_store=stores.get(clean["home_store"]),
                now=now,
            )
            # home_store: one of `stores`, read just before (checking it here would cost a query a row)
            customer.full_clean(exclude={"home_store"}, validate_unique=False, validate_constraints=False)
            customers.append(customer)
        Customer.objects.bulk_create(customers)
        identities, consents, links, events = [], [], [], []
        for clean, customer in zip(batch, customers, strict=True):
            events.append(audit("customer.created", customer))
            for key, kind in (("email", "email"), ("phone", "phone"), ("card_number", "card")):
                value = getattr(customer, key)
                if value:
                    identities.append(CustomerIdentity(customer=customer, kind=kind, value=value, created_at=now))
            if clean["tags"]:
                links.extend(Through(customer_id=customer.pk, tag_id=tags[name].pk) for name in clean["tags"])
                events.append(audit("customer.tags_set", customer, {"tags": clean["tags"]}))
            for channel, granted in clean["consents"].items():
                consents.append(
                    Consent(customer=customer, channel=channel, granted=granted, changed_at=now, source="import")
                )
                events.append(
                    audit(
                        "customer.consent_changed",
                        customer,
                        {"channel": channel, "granted": granted, "source": "import"},
                    )
                )
        CustomerIdentity.objects.bulk_create(identities)
        Consent.objects.bulk_create(consents)
        Through.objects.bulk_create(links)
        AuditEvent.objects.bulk_create(events)
        report.created += len(customers)


def _tags(names: set[str]) -> dict[str, Tag]:
    """name -> Tag for every tag of the file, creating the missing ones (as set_customer_tags does)."""
    if not names:
        return {}
    Tag.objects.bulk_create([Tag(name=name) for name in sorted(names)], ignore_conflicts=True)
    return {tag.name: tag for tag in Tag.objects.filter(name__in=names)}


def _identity_owners(planned: list[tuple[int, dict]]) -> dict[tuple[str, str], Customer]:
    """(kind, value) -> the live profile holding that identity, for every email/card/phone of the file."""
    wanted = {
        (kind, clean[key])
        for _, clean in planned
        for kind, key in (("email", "email"), ("card", "card_number"), ("phone", "phone"))
        if clean[key]
    }
    owners: dict[tuple[str, str], Customer] = {}
    values = sorted({v for _, v in wanted})
    for start in range(0, len(values), 5000):
        found = CustomerIdentity.objects.filter(
            kind__in=["email", "card", "phone"], value__in=values[start : start + 5000]
        ).select_related("customer")
        for identity in found:
            if (identity.kind, identity.value) in wanted:
                owners[(identity.kind, identity.value)] = live_profile(identity.customer)
    return owners


def _write_customer(clean: dict, match: Customer | None, stores: dict, actor, report: ImportReport) -> None:
    home_store = stores.get(clean["home_store"])
    if match is None:
        customer = create_customer(
            first_name=clean["first_name"],
            last_name=clean["last_name"],
            email=clean["email"],
            phone=clean["phone"],
            card_number=clean["card_number"],
            birthday=clean["birthday"],
            home_store=home_store,
            actor=actor,
        )
        changed = True
        report.created += 1
    else:
        customer = match
        values = {
            key: clean[key]
            for key in ("first_name", "last_name", "email", "phone", "card_number", "birthday")
            if clean[key] and getattr(customer, key) != clean[key]
        }
        if home_store is not None and customer.home_store_id != home_store.pk:
            values["home_store"] = home_store
        if values:
            update_customer_profile(customer=customer, values=values, actor=actor)
        changed = bool(values)
    if clean["tags"]:
        current = set(customer.tags.values_list("name", flat=True)) if match else set()
        if not set(clean["tags"]) <= current:
            set_customer_tags(customer=customer, names=current | set(clean["tags"]), actor=actor)
            changed = True
    if clean["consents"]:
        given = dict(Consent.objects.filter(customer=customer).values_list("channel", "granted")) if match else {}
        for channel, granted in clean["consents"].items():
            if given.get(channel) != granted:
                set_consent(customer=customer, channel=channel, granted=granted, source="import", actor=actor)
                changed = True
    if match is not None:
        if changed:
            report.updated += 1
        else:
            report.unchanged += 1
