import io
import struct
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from documents.models import DocumentConsent
from documents.services import document_upload

PDF_BYTES = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "white").save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "white").save(buffer, "JPEG")
    return buffer.getvalue()


def dicom_bytes(transfer_syntax: bytes = b"1.2.840.10008.1.2.1\0") -> bytes:
    """A minimal DICOM Part 10 file: preamble, "DICM", and a file meta group naming its transfer syntax."""

    def element(group, number, vr, value):
        return struct.pack("<HH", group, number) + vr + struct.pack("<H", len(value)) + value

    meta = element(0x0002, 0x0010, b"UI", transfer_syntax)
    group_length = element(0x0002, 0x0000, b"UL", struct.pack("<I", len(meta)))
    return b"\0" * 128 + b"DICM" + group_length + meta + b"\x08\x00\x05\x00CS\x0a\x00ISO_IR 100"


def pdf_upload(name="report.pdf", content=PDF_BYTES, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def make_document(*, owner, title="Blood Test Report", document_type="lab_report", **fields):
    return document_upload(owner=owner, file=pdf_upload(), title=title, document_type=document_type, **fields)


def make_consent(*, document, doctor, status="granted", days=7, **fields) -> DocumentConsent:
    fields.setdefault("purpose", "Reviewing prior lab results")
    return DocumentConsent.objects.create(
        document=document, doctor=doctor, status=status, expires_at=timezone.now() + timedelta(days=days), **fields
    )
