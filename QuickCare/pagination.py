from django.conf import settings
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

# The header an unpaged list carries when MAX_LIST_ITEMS cut it short (ask for pages with ?limit=&offset=).
TRUNCATED_HEADER = "X-List-Truncated"


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
        self.count = self.get_count(queryset)
        if self.count == 0 or self.offset > self.count:
            return []
        return list(queryset[self.offset : self.offset + self.limit])

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
