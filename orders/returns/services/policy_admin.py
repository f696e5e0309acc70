"""Head office edits the return policies; at most one is active per market, every change is audited."""

from django.db import transaction

from orders.returns.models import ReturnPolicy, ReturnWindow
from retail.models import User
from retail.services import record_audit_event


@transaction.atomic
def save_return_policy(
    *,
    policy: ReturnPolicy,
    actor: User | None,
    changed: list[str] | None = None,
    windows: dict[str, int] | None = None,
) -> ReturnPolicy:
    """Save a policy; activating it retires its market's active one (the database allows one active
    per market). With `windows` ({channel: days}) its windows become exactly those (see
    save_return_windows). Its amounts are in its market's currency."""
    policy.full_clean(validate_constraints=False)
    if policy.is_active:
        active = ReturnPolicy.objects.select_for_update().filter(is_active=True, market_id=policy.market_id)
        active.exclude(pk=policy.pk).update(is_active=False)
    policy.save()
    record_audit_event(
        actor=actor,
        action="return_policy.saved",
        obj=policy,
        details={
            "name": policy.name,
            "market": policy.market.code,
            "active": policy.is_active,
            "changed": changed or [],
        },
    )
    if windows is not None:
        save_return_windows(policy=policy, windows=windows, actor=actor)
    return policy


@transaction.atomic
def save_return_windows(*, policy: ReturnPolicy, windows: dict[str, int], actor: User | None) -> list[ReturnWindow]:
    """The policy's windows become exactly `windows` ({channel: days}): a channel left out has no
    window (its purchases need a manager's approval). Audited with the windows before and after."""
    before = dict(policy.windows.values_list("channel", "days"))
    rows = [ReturnWindow(policy=policy, channel=channel, days=days) for channel, days in sorted(windows.items())]
    for row in rows:
        row.full_clean(exclude=["policy"], validate_constraints=False)  # a channel of the kernel, days >= 0
    if before == dict(windows):
        return rows
    policy.windows.exclude(channel__in=list(windows)).delete()
    ReturnWindow.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["policy", "channel"], update_fields=["days"]
    )
    record_audit_event(
        actor=actor,
        action="return_policy.windows_saved",
        obj=policy,
        details={"name": policy.name, "before": before, "after": dict(sorted(windows.items()))},
    )
    return rows
