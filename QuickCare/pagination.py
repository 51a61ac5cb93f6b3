from django.conf import settings
from django.db.models import Count, QuerySet, Window
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

# The header an unpaged list carries when MAX_LIST_ITEMS cut it short (ask for pages with ?limit=&offset=).
TRUNCATED_HEADER = "X-List-Truncated"


# The page's rows carry the list's total under this name (COUNT(*) OVER ()), then lose it.
_TOTAL = "_page_total"

# No list comes near it; a larger offset would overflow the database's 64-bit OFFSET.
MAX_PAGE_NUMBER = 2**31 - 1


def _whole_number(request, name: str, minimum: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise ValidationError({name: [f"{name} must be a whole number of at least {minimum}."]})
    value = int(raw)
    if value < minimum:
        raise ValidationError({name: [f"{name} must be at least {minimum}."]})
    if value > MAX_PAGE_NUMBER:
        raise ValidationError({name: [f"{name} must be at most {MAX_PAGE_NUMBER}."]})
    return value


class OptionalLimitOffsetPagination(LimitOffsetPagination):
    """Lists stay plain JSON arrays (the spec's shape); `?limit=&offset=` opts in to a paginated envelope.

    A malformed, zero or negative limit and a malformed or negative offset are refused (400), never ignored. An
    unpaged list answers at most settings.MAX_LIST_ITEMS items (0 = no cap) and says so in TRUNCATED_HEADER when
    there were more. A limit above max_limit is served as max_limit.
    """

    default_limit = None
    max_limit = 200

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        limit = _whole_number(request, self.limit_query_param, 1)
        self.offset = _whole_number(request, self.offset_query_param, 0) or 0
        self.paged, self.truncated = limit is not None, False
        if not self.paged:
            cap = settings.MAX_LIST_ITEMS
            if not cap:
                return list(queryset[self.offset :])
            rows = list(queryset[self.offset : self.offset + cap + 1])
            self.truncated = len(rows) > cap
            return rows[:cap]
        self.limit = min(limit, self.max_limit)
        return self._page_and_count(queryset)

    def _page_and_count(self, queryset) -> list:
        """The page, with `self.count` counted by the same query: each row carries COUNT(*) OVER (), the total
        before LIMIT and OFFSET. A separate COUNT would compile, plan and filter the whole list a second time (a
        quarter of a page of the directory). Past the end, where no row carries it, the total is counted alone."""
        windowed = isinstance(queryset, QuerySet) and not (queryset.query.distinct or queryset.query.combinator)
        if not windowed:  # a DISTINCT applies after the window, so it would count duplicates
            self.count = self.get_count(queryset)
            return list(queryset[self.offset : self.offset + self.limit]) if self.offset < self.count else []
        page = list(queryset.annotate(**{_TOTAL: Window(Count("*"))})[self.offset : self.offset + self.limit])
        if not page:
            self.count = self.get_count(queryset) if self.offset else 0
            return []
        for row in page:
            self.count = row.pop(_TOTAL) if isinstance(row, dict) else getattr(row, _TOTAL)
        return page

    def get_paginated_response(self, data):
        if self.paged:
            return super().get_paginated_response(data)
        response = Response(data)
        if self.truncated:
            response[TRUNCATED_HEADER] = "true"
        return response

    def get_paginated_response_schema(self, schema):
        return {"oneOf": [schema, super().get_paginated_response_schema(schema)]}

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1 if parameter["name"] == self.limit_query_param else 0
            parameter["schema"]["maximum"] = MAX_PAGE_NUMBER
        return parameters
