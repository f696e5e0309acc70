from rest_framework.permissions import BasePermission

from retail.models import PosDevice, User


class IsShopper(BasePermission):
    """A signed-in person (app session token or browser session), not a till."""

    message = "Sign in to do this."

    def has_permission(self, request, view):
        return isinstance(request.user, User) and request.user.is_authenticated


class IsPosDevice(BasePermission):
    """A store's till, authenticated with its device token (`Authorization: Device <token>`)."""

    message = "Only a store device (Authorization: Device <token>) may post sales."

    def has_permission(self, request, view):
        return isinstance(request.user, PosDevice) and request.user.is_active
