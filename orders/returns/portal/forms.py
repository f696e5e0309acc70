"""Reading the desk's form: one row per line (quantity, reason, condition, disposition), then the
refund choice, an exchange, and a manager's approval. Parsing only; the rules live in services."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from inventory.selectors import variants_for_codes
from orders.returns.models import Condition, Disposition, Reason, ReturnRequest
from orders.returns.services import ExchangeRequest, Inspection, LineRequest, ManagerApproval
from retail.domain.codes import read_code

REFUND_CHOICES = ReturnRequest.RefundMethod.choices


def _int(value, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _choice(value, choices, default: str) -> str:
    value = (value or "").strip()
    return value if value in choices.values else default


def _reason(value) -> str:
    """The reason the associate chose, or "" when none was: the desk never picks one for them (a
    default would fill the reasons report with it); the form asks for it instead."""
    return _choice(value, Reason, "")


def missing_reasons(lines: list[LineRequest]) -> list[str]:
    """The SKUs (or line numbers) of the lines coming back without a reason chosen."""
    return [line.sku or _("line %(number)s") % {"number": line.line_number} for line in lines if not line.reason]


def order_lines_from(data, order_lines) -> list[LineRequest]:
    """Rows of the order-line table with a quantity above zero."""
    out = []
    for line in order_lines:
        quantity = _int(data.get(f"qty_{line.pk}"))
        if quantity <= 0:
            continue
        out.append(
            LineRequest(
                line_number=line.line_number,
                sku=line.sku,
                quantity=quantity,
                reason=_reason(data.get(f"reason_{line.pk}")),
                condition=_choice(data.get(f"condition_{line.pk}"), Condition, "new"),
                disposition=_choice(data.get(f"disposition_{line.pk}"), Disposition, ""),
            )
        )
    return out


RECEIPTLESS_ROWS = 4


def catalog_skus(texts) -> dict[str, str]:
    """{typed or scanned text: the catalog's SKU} (any case, or a barcode); unknown text is read as a
    SKU so the policy names it. One query for the whole form."""
    texts = [t for t in texts if (t or "").strip()]
    found = variants_for_codes(texts)
    return {t: found[t].sku if t in found else read_code(t).sku for t in texts}


def receiptless_rows_from(data) -> dict[int, LineRequest]:
    """{row of the form: its line} for the rows with a SKU typed or scanned."""
    typed = {row: data.get(f"sku_{row}") or "" for row in range(RECEIPTLESS_ROWS)}
    skus = catalog_skus(typed.values())
    out = {}
    for row in range(RECEIPTLESS_ROWS):
        sku = skus.get(typed[row])
        if not sku:
            continue
        out[row] = LineRequest(
            sku=sku,
            quantity=max(1, _int(data.get(f"qty_{row}"), 1)),
            reason=_reason(data.get(f"reason_{row}")),
            condition=_choice(data.get(f"condition_{row}"), Condition, "new"),
            disposition=_choice(data.get(f"disposition_{row}"), Disposition, ""),
        )
    return out


def receiptless_lines_from(data) -> list[LineRequest]:
    return list(receiptless_rows_from(data).values())


def inspections_from(data, return_lines) -> tuple[dict[int, Inspection], list[LineRequest]]:
    """For a return already started: the conditions found at the counter, and the same as LineRequests."""
    inspections, specs = {}, []
    for line in return_lines:
        condition = _choice(data.get(f"condition_{line.pk}"), Condition, line.condition)
        disposition = _choice(data.get(f"disposition_{line.pk}"), Disposition, "")
        inspections[line.pk] = Inspection(condition=condition, disposition=disposition)
        specs.append(
            LineRequest(
                line_number=line.order_line.line_number if line.order_line_id else None,
                sku=line.sku,
                quantity=line.quantity,
                reason=line.reason,
                condition=condition,
            )
        )
    return inspections, specs


@dataclass
class Settlement:
    method: str
    approval: ManagerApproval | None
    exchange: ExchangeRequest | None


def settlement_from(data) -> Settlement:
    method = (data.get("refund_method") or "").strip()
    approval = None
    if (data.get("manager_email") or "").strip():
        approval = ManagerApproval(
            email=data.get("manager_email", ""),
            password=data.get("manager_password", ""),
            code=data.get("manager_code", ""),
            pin=data.get("manager_pin", ""),
            reason=data.get("approval_reason", ""),
        )
    exchange = None
    if method == "exchange":
        typed = data.get("exchange_sku") or ""
        sku = catalog_skus([typed]).get(typed, "")
        exchange = ExchangeRequest(
            lines=[(sku, max(1, _int(data.get("exchange_qty"), 1)))] if sku else [],
            kind="ship" if data.get("exchange_kind") == "ship" else "pickup",
            shipping_address={"postcode": (data.get("exchange_postcode") or "").strip()},
            card_token=(data.get("card_token") or "").strip(),
            difference_to="store_credit" if data.get("difference_to") == "store_credit" else "original",
        )
    return Settlement(method=method, approval=approval, exchange=exchange)
