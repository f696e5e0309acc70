from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from retail.models import PosDevice
from retail.models.stores import hash_device_token


class PosDeviceAuthentication(authentication.BaseAuthentication):
    """`Authorization: Device <token>` from a store's till; request.user is the PosDevice."""

    keyword = "Device"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace") != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send 'Authorization: Device <token>'."))
        token = header[1].decode(errors="replace")
        device = (
            PosDevice.objects.select_related("store__market")
            .filter(token_hash=hash_device_token(token), is_active=True, store__is_active=True)
            .first()
        )
        if device is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked device token."))
        now = timezone.now()
        if device.last_seen_at is None or (now - device.last_seen_at).total_seconds() > 60:
            PosDevice.objects.filter(pk=device.pk).update(last_seen_at=now)
        return device, token

    def authenticate_header(self, request):
        return self.keyword


class PosDeviceScheme(OpenApiAuthenticationExtension):
    target_class = PosDeviceAuthentication
    name = "posDevice"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Device <token>`, issued per till in the admin.",
        }


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """allauth headless's `X-Session-Token`, refusing a token it does not know (401), as for a device token.

    allauth's class lets an unknown or expired token through as anonymous, so a signed-out app was
    served as a guest, and another credential sent with it (a till's) was used instead: a credential
    sent is either valid or the request is refused, so the app knows to sign in again.
    """

    def authenticate(self, request):
        token = self.get_session_token(request)
        if token is None:
            return None
        found = super().authenticate(request)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Unknown or expired session token; sign in again."))
        return found

    def authenticate_header(self, request):
        return "SessionToken"


# Who may call what, as each operation's `security` in the schema says: a shopper's endpoints take the
# app's session token or the browser's session, a till's its device token; public ones take any (or none).
SHOPPER_AUTHENTICATION = (SessionTokenAuthentication, authentication.SessionAuthentication)
DEVICE_AUTHENTICATION = (PosDeviceAuthentication,)
