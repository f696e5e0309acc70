"""Head office edits the return policy; exactly one is active, every change is audited."""

from django.db import transaction

from orders.returns.models import ReturnPolicy
from retail.models import User
from retail.services import record_audit_event


@transaction.atomic
def save_return_policy(*, policy: ReturnPolicy, actor: User | None, changed: list[str] | None = None) -> ReturnPolicy:
    """Save a policy; activating it retires the one active before (the database allows one active)."""
    policy.full_clean(validate_constraints=False)
    if policy.is_active:
        ReturnPolicy.objects.select_for_update().filter(is_active=True).exclude(pk=policy.pk).update(is_active=False)
    policy.save()
    record_audit_event(
        actor=actor,
        action="return_policy.saved",
        obj=policy,
        details={"name": policy.name, "active": policy.is_active, "changed": changed or []},
    )
    return policy
