class PartialPutMixin:
    """PUT accepts a partial body as PATCH does: clients send only what changed."""

    def put(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)
