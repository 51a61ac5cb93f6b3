from rest_framework.pagination import LimitOffsetPagination


class OptionalLimitOffsetPagination(LimitOffsetPagination):
    """Lists stay plain JSON arrays (the spec's shape); `?limit=&offset=` opts in to a paginated envelope."""

    default_limit = None
    max_limit = 200

    def get_paginated_response_schema(self, schema):
        return {"oneOf": [schema, super().get_paginated_response_schema(schema)]}
