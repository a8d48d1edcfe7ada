"""What Canvass accepts as an uploaded file, and what it keeps of it.

The type is decided from the content, never from the name or the browser's claim: the
first bytes (and for office documents the names inside the zip) must be those of a type
the question allows. SVG, HTML and anything else that could run in a browser match no
type, so they are refused even when named photo.jpg. Images are decoded by Pillow within
a pixel limit (a decompression bomb is refused before it is unpacked), re-encoded from
their pixels alone (EXIF, GPS and every other piece of metadata dropped), turned upright,
downscaled to UPLOAD_IMAGE_MAX_SIDE and given a thumbnail. Documents are kept as sent.
"""

import io
import logging
import re
import secrets
import warnings
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.text import get_valid_filename

# The types a question can allow: key → (what creators and takers read, the formats).
FILE_TYPES = {
    "image": ("Images (JPEG, PNG, WebP, GIF)", ("jpeg", "png", "webp", "gif")),
    "pdf": ("PDF", ("pdf",)),
    "office": (
        "Office documents (Word, Excel, PowerPoint, OpenDocument)",
        ("docx", "xlsx", "pptx", "odt", "ods", "odp"),
    ),
}
FILE_TYPE_CHOICES = [(key, label) for key, (label, _) in FILE_TYPES.items()]

# Format → (content type stored and sent, file extension).
FORMATS = {
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
    "webp": ("image/webp", "webp"),
    "gif": ("image/gif", "gif"),
    "pdf": ("application/pdf", "pdf"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
    ),
    "odt": ("application/vnd.oasis.opendocument.text", "odt"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
    "odp": ("application/vnd.oasis.opendocument.presentation", "odp"),
}
FORMATS_BY_TYPE = {content_type: extension for content_type, extension in FORMATS.values()}
TYPE_BY_EXTENSION = {extension: content_type for content_type, extension in FORMATS.values()}
IMAGE_FORMATS = FILE_TYPES["image"][1]
# What Pillow calls them (a camera's JPEG with a preview inside is "MPO").
PILLOW_FORMATS = {*IMAGE_FORMATS, "mpo"}
# What the answer page's file chooser offers (a hint for the browser; the content decides).
ACCEPT = {
    "image": "image/jpeg,image/png,image/webp,image/gif",
    "pdf": "application/pdf,.pdf",
    "office": ".docx,.xlsx,.pptx,.odt,.ods,.odp",
}
OOXML_PARTS = {"word/": "docx", "xl/": "xlsx", "ppt/": "pptx"}
ODF_MIMETYPES = {FORMATS[key][0]: key for key in ("odt", "ods", "odp")}
NAME_LENGTH = 100

logger = logging.getLogger("canvass.surveys")


def _zip_format(data):
    """docx/xlsx/pptx (Office Open XML) or odt/ods/odp (OpenDocument) by what the zip
    holds; None for any other zip (or a broken one)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if names and names[0] == "mimetype":
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                return ODF_MIMETYPES.get(mimetype)
            if "[Content_Types].xml" in names:
                return next(
                    (
                        fmt
                        for prefix, fmt in OOXML_PARTS.items()
                        if any(n.startswith(prefix) for n in names)
                    ),
                    None,
                )
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return None
    return None


def sniff(data):
    """The format of `data` by its content (a FORMATS key), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _zip_format(data)
    return None


@dataclass(frozen=True)
class Received:
    """An accepted file, ready to store: what the taker sent, after the checks (and for an
    image, re-encoded)."""

    name: str  # shown to the survey's owner; the extension is the content's
    content: bytes
    content_type: str
    sent_size: int  # bytes the taker sent, before any re-encoding
    thumbnail: bytes = b""
    thumbnail_type: str = ""


def _readable_name(sent_name, extension):
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", (sent_name or "").rsplit("/", 1)[-1])
    stem = get_valid_filename(stem.replace("\\", "_"))[: NAME_LENGTH - 8] if stem else ""
    return f"{stem or 'file'}.{extension}"


def _encode(image, fmt, *, side):
    """`image` (already upright, RGB or RGBA) at most `side` pixels on its long side, in
    `fmt` ("JPEG" or "PNG"), with no metadata: only the pixels are written."""
    from PIL import Image

    # A new image from the pixels alone: Pillow's save writes what `info` holds (a JPEG or
    # GIF comment, an ICC profile), so the decoded image's own is never saved.
    image = Image.frombytes(image.mode, image.size, image.tobytes())
    image.thumbnail((side, side))
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=82, optimize=True, progressive=True)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _in_srgb(image, icc_profile):
    """`image`'s pixels turned from its embedded colour profile into sRGB, which is what
    a stored image without a profile is read as; a profile that can't be read is ignored."""
    from PIL import ImageCms

    if not icc_profile:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        srgb = ImageCms.createProfile("sRGB")
        return ImageCms.profileToProfile(image, source, srgb, outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image


def _image(data, sent_name):
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = settings.UPLOAD_MAX_PIXELS
    damaged = ValidationError("The image is damaged or incomplete.", code="damaged")
    try:
        with warnings.catch_warnings():
            # Over MAX_IMAGE_PIXELS Pillow only warns; over twice that it raises.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format.lower() not in PILLOW_FORMATS:
                raise ValidationError("That is not an image this question takes.", code="type")
            image.load()  # a truncated or corrupt file fails here
            image = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ValidationError(
            "The image has too many pixels to process.", code="too_many_pixels"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise damaged from None
    alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = _in_srgb(image.convert("RGBA" if alpha else "RGB"), image.info.get("icc_profile"))
    fmt, content_type, extension = (
        ("PNG", "image/png", "png") if alpha else ("JPEG", "image/jpeg", "jpg")
    )
    return Received(
        name=_readable_name(sent_name, extension),
        content=_encode(image, fmt, side=settings.UPLOAD_IMAGE_MAX_SIDE),
        content_type=content_type,
        sent_size=len(data),
        thumbnail=_encode(image, fmt, side=settings.UPLOAD_THUMBNAIL_SIDE),
        thumbnail_type=content_type,
    )


def receive(upload, *, allowed, max_bytes):
    """A Received for the uploaded file `upload` (a Django UploadedFile), if it is no
    larger than `max_bytes` and of a type in `allowed` (FILE_TYPES keys), else a
    ValidationError saying what is wrong (and a log line)."""
    try:
        return _receive(upload, allowed, max_bytes)
    except ValidationError as exc:
        logger.warning(
            "upload refused reason=%s bytes=%s limit=%s", exc.code, upload.size, max_bytes
        )
        raise


def _receive(upload, allowed, max_bytes):
    if upload.size == 0:
        raise ValidationError("The file is empty.", code="empty")
    if upload.size > max_bytes:
        limit, size = megabytes(max_bytes), megabytes(upload.size)
        if size == limit:  # just over: the rounded sizes would read the same
            size = f"{upload.size:,} bytes"
        raise ValidationError(
            f"The file is {size}, over this question's limit of {limit}. Choose a smaller one.",
            code="too_large",
        )
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    fmt = sniff(data)
    kinds = [key for key in allowed if fmt in FILE_TYPES[key][1]]
    if not kinds:
        names = " or ".join(FILE_TYPES[key][0] for key in allowed)
        raise ValidationError(f"That is not a file this question takes ({names}).", code="type")
    if fmt in IMAGE_FORMATS:
        return _image(data, upload.name)
    content_type, extension = FORMATS[fmt]
    return Received(
        name=_readable_name(upload.name, extension),
        content=data,
        content_type=content_type,
        sent_size=len(data),
    )


def megabytes(size):
    """10 MB, 1.5 MB, 312 KB: as people read sizes."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    value = size / (1024 * 1024)
    return f"{value:.1f}".removesuffix(".0") + " MB"


def storage_name(survey_id, received, *, thumbnail=False):
    """Where a file goes in private storage: by survey, under a random name (the shown
    name is kept in the database, not in the path)."""
    suffix = "-thumb" if thumbnail else ""
    extension = FORMATS_BY_TYPE[received.thumbnail_type if thumbnail else received.content_type]
    return f"uploads/{survey_id}/{secrets.token_urlsafe(16)}{suffix}.{extension}"


def download(upload, *, thumbnail=False):
    """A stored upload (or its thumbnail) as an attachment with its stored type; a CSP
    sandbox keeps it inert even in a browser that would show it. 404 for an upload
    without a thumbnail (a document)."""
    stored = upload.thumbnail if thumbnail else upload.file
    if not stored:
        raise Http404("no thumbnail")
    name, content_type = upload.answer.text, upload.content_type
    if thumbnail:
        extension = stored.name.rsplit(".", 1)[-1]
        name = f"{name.rsplit('.', 1)[0]}-thumbnail.{extension}"
        content_type = TYPE_BY_EXTENSION[extension]
    response = FileResponse(
        stored.open("rb"), as_attachment=True, filename=name, content_type=content_type
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
