from rest_framework.pagination import CursorPagination as BaseCursorPagination


class CursorPagination(BaseCursorPagination):
    """Stable under inserts; views with another natural order set `ordering` on the view."""

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 200
