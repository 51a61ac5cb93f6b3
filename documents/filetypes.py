"""What an upload really is, judged by its bytes (never by its name or the client's Content-Type)."""

import struct

from PIL import Image, UnidentifiedImageError
from rest_framework.exceptions import ValidationError

PDF, PNG, JPEG, DICOM = "application/pdf", "image/png", "image/jpeg", "application/dicom"
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", DICOM: ".dcm"}
NOT_ACCEPTED = "Only PDF, JPEG, PNG or DICOM files are accepted, and this file is none."
HEAD_BYTES = 4096  # enough for the DICOM preamble and its whole file meta group
# Images larger than this many pixels are refused before Pillow decodes anything (a "decompression bomb" makes a
# small file expand to gigabytes). 100 megapixels is far beyond any scan or phone photo.
MAX_IMAGE_PIXELS = 100_000_000

# Explicit-VR value representations whose length is 4 bytes after 2 reserved bytes (DICOM PS3.5 7.1.2).
_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
_TRANSFER_SYNTAX = (0x0002, 0x0010)


def _is_dicom(head: bytes) -> bool:
    """A DICOM Part 10 file: 128-byte preamble, "DICM", then a file meta group (0002,xxxx) in explicit VR little
    endian whose elements parse and which names a transfer syntax UID (PS3.10 7.1)."""
    if head[128:132] != b"DICM":
        return False
    pos, tags = 132, set()
    while pos + 8 <= len(head):
        group, element = struct.unpack_from("<HH", head, pos)
        if group != 0x0002:
            break
        vr = head[pos + 4 : pos + 6]
        if not (len(vr) == 2 and vr.isalpha() and vr.isupper()):
            return False
        if vr in _LONG_VRS:
            if pos + 12 > len(head):
                return False
            (length,) = struct.unpack_from("<I", head, pos + 8)
            pos += 12
        else:
            (length,) = struct.unpack_from("<H", head, pos + 6)
            pos += 8
        if (group, element) == _TRANSFER_SYNTAX:
            uid = head[pos : pos + length].rstrip(b"\x00 ")
            if not uid or any(ch not in b"0123456789." for ch in uid):
                return False
        pos += length
        tags.add((group, element))
    return _TRANSFER_SYNTAX in tags


def sniff(head: bytes) -> str | None:
    """The content type of a file starting with `head` (its first HEAD_BYTES), or None."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if _is_dicom(head):
        return DICOM
    return None


def _check_image(upload) -> None:
    """Pillow parses the whole header: a PNG/JPEG signature glued onto something else is refused, and so is an
    image whose declared size is a decompression bomb (checked from the header, nothing is decoded)."""
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ValidationError(
                    {"file": [f"This image is {width}x{height} pixels; at most {MAX_IMAGE_PIXELS:,} are accepted."]}
                )
            image.verify()
    except Image.DecompressionBombError:
        raise ValidationError({"file": ["This image declares more pixels than any scan or photo has."]}) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error):
        raise ValidationError({"file": [NOT_ACCEPTED]}) from None
    finally:
        upload.seek(0)


def identify(upload) -> str:
    """The accepted content type of an upload, or a 400 saying why it is refused."""
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    content_type = sniff(head)
    if content_type is None:
        raise ValidationError({"file": [NOT_ACCEPTED]})
    if content_type in (PNG, JPEG):
        _check_image(upload)
    return content_type
