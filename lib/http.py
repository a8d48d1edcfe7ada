"""Requests as they arrive, before Django reads them."""

from django.conf import settings


def body_too_large(request):
    """Whether the request says its body is over REQUEST_MAX_BYTES (the most a survey's
    files and fields can need; NGINX refuses more before it gets here): told before any of
    it is read, so a client without NGINX in front gets the same answer."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    return not length.isdigit() or len(length) > 15 or int(length) > settings.REQUEST_MAX_BYTES
