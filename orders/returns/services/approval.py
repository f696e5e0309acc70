"""A manager of the store accepts what the policy would refuse, with their own credentials and a reason."""

import hashlib
import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from orders.returns.errors import ReturnCode, ReturnError
from orders.returns.models import ReturnRequest
from retail.errors import RetailCode
from retail.models import Store, StoreMembership, User
from retail.services import record_audit_event

log = logging.getLogger(__name__)
MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60


@dataclass
class ManagerApproval:
    """Typed at the counter by the manager: email, password, their authenticator code if enrolled, a reason."""

    email: str
    password: str
    reason: str
    code: str = ""


def verify_manager(*, approval: ManagerApproval, store: Store) -> User:
    """The manager these credentials belong to, if they manage `store`; else `approval_denied` (403).

    A manager with TOTP must give a current code (each code works once). Associates, managers of
    other stores and wrong passwords are all refused, with a message saying which; five refusals
    for one account at one store lock approvals for it for 15 minutes.
    """
    email = (approval.email or "").strip().lower()
    key = "returns:approval-failures:" + hashlib.sha256(f"{store.pk}:{email}".encode()).hexdigest()
    if cache.get(key, 0) >= MAX_FAILURES:
        raise ReturnError(
            "Too many wrong manager sign-ins for this account; try again in 15 minutes.",
            code=ReturnCode.APPROVAL_LOCKED,
        )
    try:
        return _check_manager(approval=approval, store=store, email=email)
    except ReturnError:
        # Counted outside the database transaction, which the refusal rolls back.
        if not cache.add(key, 1, LOCKOUT_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between the two calls
                cache.set(key, 1, LOCKOUT_SECONDS)
        log.warning("return approval refused at %s for %s", store.code, email)
        raise


def _check_manager(*, approval: ManagerApproval, store: Store, email: str) -> User:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    user = User.objects.filter(email__iexact=email, is_active=True).first() if email else None
    if user is None or not user.check_password(approval.password or ""):
        raise ReturnError(
            "The manager's email or password is wrong.",
            code=ReturnCode.APPROVAL_DENIED,
            fields={"manager_password": ["Wrong email or password."]},
        )
    if not StoreMembership.objects.filter(user=user, store=store, role=StoreMembership.Role.MANAGER).exists():
        raise ReturnError(
            f"{user.get_full_name()} is not a manager of {store.name}; ask a manager of this store.",
            code=ReturnCode.APPROVAL_DENIED,
            fields={"manager_email": ["Not a manager of this store."]},
        )
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if totp is not None:
        code = "".join((approval.code or "").split())
        if not code or not TOTP(totp).validate_code(code):
            raise ReturnError(
                "The manager's authenticator code is missing or wrong.",
                code=ReturnCode.APPROVAL_DENIED,
                fields={"manager_code": ["Enter the current 6-digit code."]},
            )
    return user


def record_approval(*, request: ReturnRequest, store: Store, approval: ManagerApproval, actor: User | None) -> User:
    """Verify and write the approval on a locked request; audited with the reason and what was accepted."""
    reason = (approval.reason or "").strip()
    if not reason:
        raise ReturnError(
            "A manager's approval needs a reason.",
            code=ReturnCode.INVALID_RETURN,
            fields={"approval_reason": ["Required."]},
        )
    manager = verify_manager(approval=approval, store=store)
    now = timezone.now()
    request.approved_by, request.approved_at, request.approval_reason = manager, now, reason[:300]
    request.updated_at = now
    request.save(update_fields=["approved_by", "approved_at", "approval_reason", "updated_at"])
    record_audit_event(
        actor=manager,
        action="return.approved",
        obj=request,
        store=store,
        details={
            "rma": request.rma_number,
            "reason": reason,
            "associate": actor.pk if isinstance(actor, User) else None,
            "refund": str(request.refund_total),
            "why": request.summary,
            "lines": list(request.lines.filter(verdict="approval").values_list("explanation", flat=True)),
        },
    )
    return manager


@transaction.atomic
def approve_return(
    *, request: ReturnRequest, store: Store, approval: ManagerApproval, actor: User | None = None
) -> ReturnRequest:
    """Accept a return the policy flagged (out of window, final sale, receipt-less over the limit,
    refund over the threshold). The approver must manage `store`; the approval is audited."""
    from orders.returns.services.requests import lock_request

    request = lock_request(request)
    if not request.is_open:
        raise ReturnError(f"Return {request.rma_number} is closed.", code=RetailCode.ILLEGAL_TRANSITION)
    if not request.approval_required:
        raise ReturnError("This return is within the policy; no approval is needed.", code=ReturnCode.INVALID_RETURN)
    record_approval(request=request, store=store, approval=approval, actor=actor)
    return request
