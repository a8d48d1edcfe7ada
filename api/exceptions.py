"""Every API error is JSON of one shape: {"detail": "..."} or {"field": ["..."]}.

DRF answers its own exceptions that way; this handler brings in the services' refusals
(each with its message and a status) and what Django raises while reading a request (a
body over the size limit, too many fields); api/errors.py does the same for what never
reaches a DRF view (an unknown URL, a crash).
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ParseError
from rest_framework.views import exception_handler as drf_exception_handler

from surveys.errors import (
    ExportExpired,
    LimitReached,
    NoOptions,
    Refused,
    Stale,
    SurveyClosed,
    SurveyNotEditable,
    WrongStatus,
)


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        super().__init__(f"The request body is larger than the limit of {limit} bytes.")


# The status each refusal of the services (surveys/errors.py) is answered with.
STATUS_OF_REFUSAL = {
    SurveyNotEditable: status.HTTP_409_CONFLICT,
    Stale: status.HTTP_409_CONFLICT,  # the views answer it themselves, with the row as it is
    WrongStatus: status.HTTP_409_CONFLICT,
    SurveyClosed: status.HTTP_410_GONE,
    ExportExpired: status.HTTP_410_GONE,
    LimitReached: status.HTTP_400_BAD_REQUEST,
    NoOptions: status.HTTP_400_BAD_REQUEST,
}


def _answer_refusal(refusal):
    exc = APIException(refusal.message, code=type(refusal).__name__)
    exc.status_code = STATUS_OF_REFUSAL.get(type(refusal), status.HTTP_400_BAD_REQUEST)
    return exc


def exception_handler(exc, context):
    if isinstance(exc, Refused):
        exc = _answer_refusal(exc)
    elif isinstance(exc, Http404):
        # One answer for "not yours" and "no such thing", which never names the model
        # (get_object_or_404's "No Survey matches the given query.").
        exc = NotFound()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = ParseError(str(exc) or "The request could not be read.")
    return drf_exception_handler(exc, context)
