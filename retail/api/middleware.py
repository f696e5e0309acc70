import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

from retail.api.errors import error_body
from retail.errors import RetailCode

NUL = "\x00"


def too_large_response() -> JsonResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    message = _("The body is larger than %(limit)s bytes; send less at once (batches have their own item limits).") % {
        "limit": f"{limit:,}"
    }
    return JsonResponse(error_body(RetailCode.REQUEST_TOO_LARGE, message), status=413)


class LimitApiBodyMiddleware:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE under /api/ is a 413 in the API's error shape.

    Django refuses it only when something reads request.body (an HTML 400), and DRF reads the stream
    itself, past the limit; the declared length is checked here before anything reads the body.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request.path.startswith("/api/") and limit is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return too_large_response()
        return self.get_response(request)


class RejectNulMiddleware:
    """Refuse U+0000 anywhere in a request (path, query, JSON body) with a 400 (JSON under /api/).

    PostgreSQL text and jsonb cannot store it, so a NUL that reaches a query is a 500
    ("cannot contain NUL (0x00) bytes"); no endpoint can accept one, so it is refused here once.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = self._nul_in(request)
        if where:
            message = _("%(where)s: text cannot contain the NUL character (\\u0000).") % {"where": where}
            if request.path.startswith("/api/"):
                return JsonResponse(error_body(RetailCode.INVALID, message, {where: [_("Contains NUL.")]}), status=400)
            # The portal and the admin too (a NUL typed or pasted into a search box); plain text.
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    def _nul_in(self, request) -> str | None:
        if NUL in request.path:
            return "path"
        for name, values in request.GET.lists():
            if NUL in name or any(NUL in value for value in values):
                return name.replace(NUL, "") or "query"
        if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
            try:
                for name, values in request.POST.lists():
                    if NUL in name or any(NUL in value for value in values):
                        return name.replace(NUL, "") or "form"
            except RequestDataTooBig:
                return None
        try:
            body = request.body if request.content_type == "application/json" else b""
        except RequestDataTooBig:
            return None  # not read: the stream stays for the view, which answers for the size itself
        if b"\x00" in body:
            return "body"
        if b"\\u0000" in body:
            try:
                data = json.loads(body)
            except (ValueError, RecursionError):
                return None  # not JSON, or too deep: the parser answers its own 400
            if _contains_nul(data):
                return "body"
        return None


def _contains_nul(value) -> bool:
    stack = [value]  # iterative: a deeply nested body must not exhaust the stack
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False
