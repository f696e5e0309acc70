"""A manager of the store accepts what the policy would refuse, with their own credentials and a reason."""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.returns.errors import ReturnCode, ReturnError
from orders.returns.models import ReturnRequest
from orders.returns.services.context import lock_request
from retail.approvals import ApprovalCredentials, verify_manager_approval
from retail.errors import RetailCode, RetailError
from retail.models import Store, User
from retail.services import record_audit_event

log = logging.getLogger(__name__)


@dataclass
class ManagerApproval:
    """Typed at the counter by the manager: email and approval PIN (or password + authenticator code), a reason."""

    email: str
    password: str = ""
    reason: str = ""
    code: str = ""
    pin: str = ""

    @property
    def method(self) -> str:
        return "pin" if self.pin else "password"


def verify_manager(*, approval: ManagerApproval, store: Store, purpose: str = "") -> User:
    """The manager of `store` these credentials prove (retail.approvals: one message for every
    failure, counted in the sign-in lockout, second factor required); else `approval_denied`."""
    try:
        return verify_manager_approval(
            credentials=ApprovalCredentials(
                email=approval.email, pin=approval.pin, password=approval.password, code=approval.code
            ),
            store=store,
            purpose=purpose,
        )
    except RetailError as exc:
        raise ReturnError(exc.message, code=exc.code, fields=exc.fields) from None


def record_approval(
    *, return_request: ReturnRequest, store: Store, approval: ManagerApproval, actor: User | None
) -> User:
    """Verify and write the approval on a locked return; audited with the reason and what was accepted."""
    reason = (approval.reason or "").strip()
    if not reason:
        raise ReturnError(
            _("A manager's approval needs a reason."),
            code=ReturnCode.INVALID_RETURN,
            fields={"approval_reason": [_("Required.")]},
        )
    manager = verify_manager(approval=approval, store=store, purpose=f"return {return_request.rma_number}")
    now = timezone.now()
    return_request.approved_by, return_request.approved_at, return_request.approval_reason = manager, now, reason[:300]
    return_request.updated_at = now
    return_request.save(update_fields=["approved_by", "approved_at", "approval_reason", "updated_at"])
    record_audit_event(
        actor=manager,
        action="return.approved",
        obj=return_request,
        store=store,
        details={
            "rma": return_request.rma_number,
            "reason": reason,
            "method": approval.method,
            "associate": actor.pk if isinstance(actor, User) else None,
            "refund": str(return_request.refund_total),
            "why": return_request.summary,
            "lines": list(return_request.lines.filter(verdict="approval").values_list("explanation", flat=True)),
        },
    )
    return manager


@transaction.atomic
def approve_return(
    *, return_request: ReturnRequest, store: Store, approval: ManagerApproval, actor: User | None = None
) -> ReturnRequest:
    """Accept a return the policy flagged (out of window, final sale, receipt-less over the limit,
    refund over the threshold). The approver must manage `store`; the approval is audited."""

    return_request = lock_request(return_request)
    if not return_request.is_open:
        raise ReturnError(
            _("Return %(rma_number)s is closed.") % {"rma_number": return_request.rma_number},
            code=RetailCode.ILLEGAL_TRANSITION,
        )
    if not return_request.approval_required:
        raise ReturnError(_("This return is within the policy; no approval is needed."), code=ReturnCode.INVALID_RETURN)
    record_approval(return_request=return_request, store=store, approval=approval, actor=actor)
    return return_request
