import contextlib
import ipaddress

from django.conf import settings


def client_ip(request):
    """The client's address, once TrustedProxyMiddleware has settled it."""
    return request.META.get("REMOTE_ADDR")


def _networks(entries):
    # "" stands for Gunicorn on a Unix socket, where there is no peer address.
    return [ipaddress.ip_network(entry, strict=False) for entry in entries if entry]


class TrustedProxyMiddleware:
    """Take the client's address from X-Forwarded-For, but only from a trusted proxy.

    NGINX appends the address it saw to X-Forwarded-For, so the last entry is the only one
    we can believe; anything to its left was sent by the client. A request that does not
    come from a configured proxy keeps its REMOTE_ADDR and loses its X-Forwarded-* headers:
    Django would otherwise believe X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER) from anyone.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.networks = _networks(settings.TRUSTED_PROXIES)
        self.trust_unix_socket = "" in settings.TRUSTED_PROXIES

    def _is_trusted(self, address):
        if not address:
            return self.trust_unix_socket
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, request):
        meta = request.META
        if self._is_trusted(meta.get("REMOTE_ADDR", "")):
            client = meta.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
            with contextlib.suppress(ValueError):
                meta["REMOTE_ADDR"] = str(ipaddress.ip_address(client))
        else:
            for header in [key for key in meta if key.startswith("HTTP_X_FORWARDED_")]:
                del meta[header]
        return self.get_response(request)
