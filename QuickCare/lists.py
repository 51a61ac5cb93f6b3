from functools import reduce

from rest_framework.exceptions import NotFound
from rest_framework.response import Response


class RowsMixin:
    """Views whose answers (lists and single objects alike) are built by the shape's one builder, `rows_to_json`,
    from `.values(*columns)` rows: several times cheaper than model instances through nested serializers
    (bench/README.md). `serializer_class` declares the shape for the OpenAPI schema and builds nothing."""

    columns: tuple[str, ...] = ()

    def rows_to_json(self, rows: list[dict]) -> list[dict]:
        raise NotImplementedError

    def object_json(self, queryset) -> dict:
        """The one object of `queryset` in the shape, or a 404."""
        rows = list(queryset.values(*self.columns)[:1])
        if not rows:
            raise NotFound("Not found.")
        return self.rows_to_json(rows)[0]

    def instance_json(self, instance) -> dict:
        """`instance` in the shape, from the objects it holds (each `a__b` column read as `instance.a.b`): the
        answer to a write whose service has just loaded and saved every one of them, with nothing read again."""
        row = {column: reduce(getattr, column.split("__"), instance) for column in self.columns}
        return self.rows_to_json([row])[0]

    def list(self, request, *args, **kwargs):
        rows = self.filter_queryset(self.get_queryset()).values(*self.columns)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.rows_to_json(page))

    def retrieve(self, request, *args, **kwargs):
        lookup = self.lookup_url_kwarg or self.lookup_field
        return Response(self.object_json(self.get_queryset().filter(pk=kwargs[lookup])))
