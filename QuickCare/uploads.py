"""Request bodies are refused before they are stored: nothing a client sends can fill a worker's memory or disk.

`BodySizeLimitMiddleware` answers 413 from the declared Content-Length before anything is read;
`SizeLimitUploadHandler` (first in FILE_UPLOAD_HANDLERS) stops a multipart body the moment its files grow past the
upload limit, for a body whose length was not declared or was declared wrongly.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import JsonResponse

from .exceptions import PayloadTooLarge

# Room for the form fields and multipart boundaries that travel with a file of the largest allowed size.
MULTIPART_ALLOWANCE = 64 * 1024


def _limit_mb() -> int:
    return settings.DOCUMENT_MAX_UPLOAD_BYTES // (1024 * 1024)


def body_limit(content_type: str) -> int:
    if content_type.startswith("multipart/form-data"):
        return settings.DOCUMENT_MAX_UPLOAD_BYTES + MULTIPART_ALLOWANCE
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class BodySizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > body_limit(request.META.get("CONTENT_TYPE", "")):
            return JsonResponse({"message": f"The request is larger than the {_limit_mb()} MB limit."}, status=413)
        return self.get_response(request)


class SizeLimitUploadHandler(FileUploadHandler):
    """Counts every file byte of a multipart body and stops reading at the upload limit (413)."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.DOCUMENT_MAX_UPLOAD_BYTES:
            raise PayloadTooLarge(f"The file is larger than the {_limit_mb()} MB limit.")
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) keeps the file
