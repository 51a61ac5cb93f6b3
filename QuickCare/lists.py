from rest_framework.response import Response


class RowsListMixin:
    """For the hottest list endpoints: build the JSON from `.values(*list_columns)` rows with `rows_to_json` instead
    of model instances through serializers (several times cheaper; bench/README.md). `serializer_class` still
    documents the shape, and a test per view keeps the two identical."""

    list_columns: tuple[str, ...] = ()

    def rows_to_json(self, rows: list[dict]) -> list[dict]:
        raise NotImplementedError

    def list(self, request, *args, **kwargs):
        rows = self.filter_queryset(self.get_queryset()).values(*self.list_columns)
        page = self.paginate_queryset(rows)
        if page is not None:
            return self.get_paginated_response(self.rows_to_json(page))
        return Response(self.rows_to_json(list(rows)))
