"""Integration tokens: `Authorization: Bearer omni_...` for staff-only API operations, by scope.

The token belongs to a staff member (active, `is_staff`) and carries scopes; it is shown once when
issued and stored as a SHA-256 hash. Revoked tokens, or tokens of staff who left (inactive, no
longer staff), are refused (401).
"""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from retail.errors import RetailCode
from retail.models import User
from retail.services import record_audit_event
from webhooks.errors import WebhookError
from webhooks.models import IntegrationToken

PREFIX = "omni_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def issue_integration_token(
    *, user: User, name: str, scopes: list[str], actor: User | None
) -> tuple[IntegrationToken, str]:
    """A new token for a staff member; returns it with the secret value, which is never shown again."""
    unknown = sorted(set(scopes) - set(IntegrationToken.Scope.values))
    if unknown or not scopes:
        raise WebhookError(
            _("Scopes are %(value)s.") % {"value": ', '.join(IntegrationToken.Scope.values)}, code=RetailCode.INVALID,
            fields={"scopes": [_("Unknown or empty.")]},
        )  # fmt: skip
    if not (user.is_active and user.is_staff):
        raise WebhookError(_("Only active staff hold integration tokens."), code=RetailCode.PERMISSION_DENIED)
    raw = PREFIX + secrets.token_urlsafe(32)
    token = IntegrationToken.objects.create(
        name=name.strip()[:120] or "integration", user=user, scopes=sorted(set(scopes)), token_prefix=raw[:12],
        token_hash=hash_token(raw), created_at=timezone.now(), created_by=actor,
    )  # fmt: skip
    record_audit_event(actor=actor, action="integration_token.issued", obj=token, details={"scopes": token.scopes})
    return token, raw


@transaction.atomic
def revoke_integration_token(*, token: IntegrationToken, actor: User | None) -> None:
    IntegrationToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    record_audit_event(actor=actor, action="integration_token.revoked", obj=token)


class IntegrationTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace") != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send 'Authorization: Bearer <token>'."))
        raw = header[1].decode(errors="replace")
        token = (
            IntegrationToken.objects.select_related("user")
            .filter(token_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True, user__is_staff=True)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked token."))
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            IntegrationToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    target_class = IntegrationTokenAuthentication
    name = "integrationToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A staff integration token (`omni_...`) with the operation's scope, issued in the admin.",
        }


class HasScope(permissions.BasePermission):
    """The request's integration token carries the view's `required_scope`."""

    message = "This token does not have the scope this operation needs."

    def has_permission(self, request, view):
        token = request.auth
        return isinstance(token, IntegrationToken) and view.required_scope in token.scopes
