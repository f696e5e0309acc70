from base64 import b64decode
from binascii import Error as NotBase64
from urllib import parse

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework.pagination import Cursor
from rest_framework.pagination import CursorPagination as BaseCursorPagination

from retail.api.fields import POSITIVE_INT_PATTERN, query_param
from retail.errors import DomainError, RetailCode

TOKENS = {"o", "r", "p"}  # what DRF writes in a cursor: offset, reverse, position


class CursorPagination(BaseCursorPagination):
    """Stable under inserts; views with another natural order set `ordering` on the view.

    `page_size` is 1 to `max_page_size`, else a 400 (DRF would quietly use the default): the
    schema says so too. A `cursor` the list did not give out is a 400 `invalid_cursor`: DRF read
    some junk as no cursor (the first page again, which a client paging on would loop over), other
    junk as a 404, and a position of the wrong type (not a time, for a list by time) was a 500.
    """

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        raw = query_param(request, self.page_size_query_param, POSITIVE_INT_PATTERN, message=self.page_size_message())
        if raw is None:
            return self.page_size
        if int(raw) > self.max_page_size:
            query_param(request, self.page_size_query_param, r"\A\Z", message=self.page_size_message())
        return int(raw)

    def page_size_message(self) -> str:
        return _("%(name)s is a whole number from 1 to %(most)s.") % {
            "name": self.page_size_query_param,
            "most": self.max_page_size,
        }

    def decode_cursor(self, request):
        """DRF's cursor (base64 of o=offset&r=1&p=position, each at most once), read strictly."""
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        if not encoded:
            raise self.invalid_cursor()  # `cursor=` with nothing: DRF read it as no cursor (the first page)
        try:
            querystring = b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            tokens = parse.parse_qs(querystring, keep_blank_values=True, strict_parsing=bool(querystring))
        except (NotBase64, UnicodeError, ValueError):
            raise self.invalid_cursor() from None
        offset, reverse = tokens.get("o", ["0"]), tokens.get("r", ["0"])
        if (
            set(tokens) - TOKENS
            or any(len(values) != 1 for values in tokens.values())
            or not offset[0].isascii()
            or not offset[0].isdigit()
            or int(offset[0]) > self.offset_cutoff
            or reverse[0] not in ("0", "1")
            or "\x00" in tokens.get("p", [""])[0]  # PostgreSQL's text cannot hold it
        ):
            raise self.invalid_cursor()
        return Cursor(offset=int(offset[0]), reverse=reverse[0] == "1", position=tokens.get("p", [None])[0])

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, DjangoValidationError):
            # a position the ordering's field cannot take (Django refuses it before any SQL is sent)
            if getattr(self, "cursor", None) is None or self.cursor.position is None:
                raise
            raise self.invalid_cursor() from None

    def invalid_cursor(self) -> DomainError:
        message = _("This cursor is not one this list gave out; start again without it.")
        return DomainError(message, code=RetailCode.INVALID_CURSOR, fields={self.cursor_query_param: [message]})

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters
