"""Which requests may tell Django the client's address and scheme."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from lib.proxy import TrustedProxyMiddleware


def seen(remote_addr, **headers):
    captured = {}

    def view(request):
        captured["ip"] = request.META["REMOTE_ADDR"]
        captured["secure"] = request.is_secure()
        return HttpResponse()

    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers)
    TrustedProxyMiddleware(view)(request)
    return captured["ip"], captured["secure"]


FORWARDED = {
    "HTTP_X_FORWARDED_FOR": "203.0.113.9, 198.51.100.7",
    "HTTP_X_FORWARDED_PROTO": "https",
}


def test_trusted_proxy_supplies_last_forwarded_address_and_scheme():
    assert seen("127.0.0.1", **FORWARDED) == ("198.51.100.7", True)


def test_unix_socket_counts_as_the_local_proxy():
    assert seen("", **FORWARDED) == ("198.51.100.7", True)


def test_anyone_else_keeps_their_address_and_cannot_claim_https():
    assert seen("192.0.2.50", **FORWARDED) == ("192.0.2.50", False)


@override_settings(TRUSTED_PROXIES=["172.16.0.0/12"])
def test_networks_can_be_trusted():
    assert seen("172.18.0.5", **FORWARDED) == ("198.51.100.7", True)
    assert seen("127.0.0.1", **FORWARDED) == ("127.0.0.1", False)


@pytest.mark.parametrize("header", ["", "not-an-ip", "203.0.113.9, garbage"])
def test_malformed_forwarded_for_is_ignored(header):
    assert seen("127.0.0.1", HTTP_X_FORWARDED_FOR=header)[0] == "127.0.0.1"
