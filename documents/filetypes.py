"""What an upload really is, judged by its bytes (never by its name or the client's Content-Type)."""

from PIL import Image, UnidentifiedImageError

PDF, PNG, JPEG, DICOM = "application/pdf", "image/png", "image/jpeg", "application/dicom"
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", DICOM: ".dcm"}


def sniff(head: bytes) -> str | None:
    """The content type of a file starting with `head` (at least 132 bytes when the file has them), or None."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[128:132] == b"DICM":  # 128-byte preamble, then the DICOM magic
        return DICOM
    return None


def image_is_intact(upload) -> bool:
    """Pillow parses the whole header: a PNG/JPEG signature glued onto something else is refused."""
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image.verify()
        return True
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False
    finally:
        upload.seek(0)
