from rest_framework.pagination import CursorPagination as BaseCursorPagination

from retail.api.fields import POSITIVE_INT_PATTERN, query_param


class CursorPagination(BaseCursorPagination):
    """Stable under inserts; views with another natural order set `ordering` on the view.

    `page_size` is 1 to `max_page_size`, else a 400 (DRF would quietly use the default): the
    schema says so too.
    """

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        raw = query_param(
            request, self.page_size_query_param, POSITIVE_INT_PATTERN, message=f"1 to {self.max_page_size}."
        )
        if raw is None:
            return self.page_size
        if int(raw) > self.max_page_size:
            query_param(request, self.page_size_query_param, r"\A\Z", message=f"1 to {self.max_page_size}.")
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters
