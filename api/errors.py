"""JSON error pages for /api/ URLs that never reach a DRF view: an unknown path, a request
Django refused before routing, a crash. The site's other pages keep their HTML pages."""

from django.http import JsonResponse
from django.views import defaults

API_PREFIX = "/api/"

MESSAGES = {
    400: "The request could not be read.",
    403: "You may not do that.",
    404: "Not found.",
    500: "Something went wrong on our side; it has been logged.",
}


def _handler(status, html_view):
    def handler(request, exception=None):
        if request.path.startswith(API_PREFIX):
            return JsonResponse({"detail": MESSAGES[status]}, status=status)
        if status == 500:
            return html_view(request)
        return html_view(request, exception)

    return handler


bad_request = _handler(400, defaults.bad_request)
permission_denied = _handler(403, defaults.permission_denied)
page_not_found = _handler(404, defaults.page_not_found)
server_error = _handler(500, defaults.server_error)
