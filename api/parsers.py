"""The API's JSON parser: camelCase keys, with the body size and nesting depth checked
before anything else looks at the data."""

import json

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from djangorestframework_camel_case.parser import CamelCaseJSONParser
from djangorestframework_camel_case.util import underscoreize
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, MultiPartParser

from .exceptions import PayloadTooLarge

# Deeper than any request the API takes (an answer list is 3 levels); the camelCase
# conversion and the serializers recurse, so a body nested hundreds of levels deep would
# otherwise end in a RecursionError.
MAX_DEPTH = 20


def _too_deep(data):
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > MAX_DEPTH:
            return True
        pending.extend((item, depth + 1) for item in value)
    return False


def _json(raw, underscoreize_options):
    too_deep = ParseError(f"JSON nested more than {MAX_DEPTH} levels deep.")
    try:
        data = json.loads(raw)
    except RecursionError:  # the decoder itself gives up at about a thousand levels
        raise too_deep from None
    except ValueError as exc:
        raise ParseError(f"JSON parse error - {exc}") from None
    if _too_deep(data):
        raise too_deep
    return underscoreize(data, **underscoreize_options)


class JSONParser(CamelCaseJSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        return _json(text, self.json_underscoreize)


class AnswersWithFilesParser(MultiPartParser):
    """A submission with files (multipart/form-data): the `answers` field holds the same
    JSON as a JSON body, with its checks; each file answer names its part."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            parsed = super().parse(stream, media_type, parser_context)
        except (ParseError, SuspiciousOperation) as exc:  # too many files or fields, too big
            raise ParseError(f"Multipart form parse error - {exc}") from None
        answers = parsed.data.get("answers")
        if answers is None:
            return DataAndFiles({}, parsed.files)
        options = CamelCaseJSONParser.json_underscoreize
        return DataAndFiles({"answers": _json(answers, options)}, parsed.files)
