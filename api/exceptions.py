"""Every API error is JSON of one shape: {"detail": "..."} or {"field": ["..."]}.

DRF answers its own exceptions that way; this handler brings in the ones Django raises
while reading a request (a body over the size limit, too many fields), and api/errors.py
does the same for what never reaches a DRF view (an unknown URL, a crash).
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.views import exception_handler as drf_exception_handler

from surveys.services import LimitReached


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        super().__init__(f"The request body is larger than the limit of {limit} bytes.")


class _Refused(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "refused"


def exception_handler(exc, context):
    if isinstance(exc, LimitReached):
        exc = _Refused(exc.message)
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = ParseError(str(exc) or "The request could not be read.")
    return drf_exception_handler(exc, context)
