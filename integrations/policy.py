"""Where webhooks may be sent: the guard against server-side request forgery.

A webhook URL is chosen by a creator, and the request is made from inside the operator's
network: without a guard, a creator could have Canvass call the cloud's metadata service,
a database's admin port or anything else only reachable from the inside. So, unless the
operator allows it (WEBHOOK_ALLOWED_HOSTS, WEBHOOK_ALLOWED_NETWORKS):

- only https:// (http:// where WEBHOOK_ALLOW_HTTP is on);
- never an address that is loopback, private, link-local (which holds the cloud metadata
  service, 169.254.169.254), multicast, reserved, unspecified, or shared (100.64/10);
- checked on every address the name resolves to, at delivery time, and then the request is
  made to that checked address, not to the name again (a name can't resolve to something
  else between the check and the connection).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

# Addresses no public service answers on, on top of what `ipaddress` flags.
NEVER = [
    ipaddress.ip_network("100.64.0.0/10"),  # shared address space (carrier-grade NAT)
    ipaddress.ip_network("198.18.0.0/15"),  # benchmarking
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS's metadata service over IPv6
]


class Refused(Exception):
    """The policy forbids this target; `reason` says why, for the delivery log."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def _allowed_networks():
    return [ipaddress.ip_network(n, strict=False) for n in settings.WEBHOOK_ALLOWED_NETWORKS]


def forbidden_address(address):
    """Why `address` (an ip_address) must not be sent to, or None if it may."""
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    if any(address in network for network in _allowed_networks()):
        return None
    for flag, name in (  # the most telling name first: 0.0.0.0 is "private" too
        ("is_unspecified", "unspecified"),
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local (cloud metadata)"),
        ("is_multicast", "multicast"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
    ):
        if getattr(address, flag):
            return f"{address} is a {name} address"
    if any(address in network for network in NEVER):
        return f"{address} is not a public address"
    return None


def check_url(url):
    """(scheme, host, port, path with query) of a URL webhooks may be sent to, or Refused.
    Checks what can be checked without resolving the name."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise Refused("Use an https:// address.")
    if parts.scheme == "http" and not settings.WEBHOOK_ALLOW_HTTP:
        raise Refused("Use an https:// address: this site sends webhooks over HTTPS only.")
    if parts.username or parts.password:
        raise Refused("Leave the user name and password out of the address.")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise Refused("That address's port is not a number.") from None
    if not host:
        raise Refused("The address has no host name.")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and host not in settings.WEBHOOK_ALLOWED_HOSTS:
        reason = forbidden_address(literal)
        if reason:
            raise Refused(f"Webhooks can't be sent there: {reason}.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port, path


def resolve(host, port):
    """The addresses `host` resolves to, every one of them allowed, or Refused. Hosts the
    operator allowed by name are resolved but not checked."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise LookupError(f"{host} could not be resolved: {exc.strerror}") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if host not in settings.WEBHOOK_ALLOWED_HOSTS:
        for address in addresses:
            reason = forbidden_address(address)
            if reason:
                raise Refused(f"{host} resolves to {reason}")
    return addresses
