"""Error reporting, private by default: survey answers must never leave the server."""

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

from lib.redact import redact_all


def _strip_request(event, hint):
    # Belt and braces on top of the options below: keep the URL and method, drop the rest;
    # and no secret link anywhere in what is sent (the URL, messages, breadcrumbs).
    request = event.get("request")
    if request:
        event["request"] = {k: request[k] for k in ("url", "method") if k in request}
    event.pop("user", None)
    return redact_all(event)


def _redact_breadcrumb(crumb, hint):
    return redact_all(crumb)


def init_sentry(*, dsn, environment, traces_sample_rate):
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration()],
        traces_sample_rate=traces_sample_rate,
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "off"}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "stack_frame_variables": False,
        },
        include_local_variables=False,
        max_request_body_size="never",
        before_send=_strip_request,
        before_send_transaction=_strip_request,
        before_breadcrumb=_redact_breadcrumb,
    )
