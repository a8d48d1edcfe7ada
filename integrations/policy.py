"""Where webhooks may be sent: the guard against server-side request forgery.

A webhook URL is chosen by a creator, and the request is made from inside the operator's
network: without a guard, a creator could have Canvass call the cloud's metadata service,
a database's admin port or anything else only reachable from the inside. So, unless the
operator allows it (WEBHOOK_ALLOWED_HOSTS, WEBHOOK_ALLOWED_NETWORKS):

- only https:// (http:// where WEBHOOK_ALLOW_HTTP is on);
- only public addresses: never loopback, private, link-local (which holds the cloud
  metadata service, 169.254.169.254), site-local, multicast, reserved, unspecified or
  shared (100.64/10) ones, nor an IPv6 address that stands for such an IPv4 one
  (IPv4-mapped, NAT64, 6to4, Teredo: 2002:7f00:1:: is 127.0.0.1 through a 6to4 relay);
- checked on every address the name resolves to, when the endpoint is added or its
  address changed, and again at delivery time; then the request is made to that checked
  address, not to the name again (a name can't resolve to something else between the
  check and the connection).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from surveys.errors import Refused

# Addresses no public service answers on that `ipaddress` counts as global: the 6to4
# relays' anycast (deprecated), which relays to whatever address a packet names.
NEVER = [ipaddress.ip_network("192.88.99.0/24")]
# NAT64's well-known prefix: the IPv4 address is the last 32 bits. (The local-use prefix,
# 64:ff9b:1::/48, translates to the operator's own network: `ipaddress` calls it reserved.)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# The ports a host allowed by name alone (no ":port") may be sent to.
DEFAULT_PORTS = (443, 80)
# The most telling name first: 0.0.0.0 is "private" too.
KINDS = (
    ("is_unspecified", "unspecified"),
    ("is_loopback", "loopback"),
    ("is_link_local", "link-local (cloud metadata)"),
    ("is_site_local", "site-local"),
    ("is_multicast", "multicast"),
    ("is_private", "private"),
    ("is_reserved", "reserved"),
)


class AddressRefused(Refused):
    """The policy forbids this target; `reason` (the message) says why, for the person
    adding the endpoint and for the delivery log."""

    @property
    def reason(self):
        return self.message


def _allowed_networks():
    return [ipaddress.ip_network(n, strict=False) for n in settings.WEBHOOK_ALLOWED_NETWORKS]


def host_allowed(host, port):
    """Whether the operator allowed `host` by name on `port`: "host:port" allows that port,
    a plain "host" the default ports (443, 80) only, not every port of the machine."""
    for entry in settings.WEBHOOK_ALLOWED_HOSTS:
        allowed = urlsplit(f"//{entry}")
        if allowed.hostname == host.lower() and port in (
            (allowed.port,) if allowed.port else DEFAULT_PORTS
        ):
            return True
    return False


def _carried(address):
    """(how, the IPv4 address) an IPv6 address stands for, and whether the packet goes to
    that IPv4 address itself (translated) rather than through a relay (tunnelled); None
    for any other address."""
    if address.version == 4:
        return None
    if address.ipv4_mapped:
        return "maps to", address.ipv4_mapped, True
    if address in NAT64:
        return "is NAT64 for", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), True
    if address.sixtofour:
        return "is 6to4 for", address.sixtofour, False
    if address.teredo:
        return "is Teredo for", address.teredo[1], False  # (server, client)
    return None


def _refusal(address):
    """What makes `address` one not to send to ("a loopback address"), or None."""
    if any(address in network for network in _allowed_networks()):
        return None
    for flag, name in KINDS:
        if getattr(address, flag, False):  # is_site_local is IPv6's alone
            return f"a {name} address"
    if not address.is_global or any(address in network for network in NEVER):
        return "not a public address"
    return None


def forbidden_address(address):
    """Why `address` (an ip_address) must not be sent to, or None if it may. An IPv6
    address standing for an IPv4 one is judged by that one too; a translated one by it
    alone (::ffff:8.8.8.8 is 8.8.8.8), a tunnelled one also by itself."""
    carried = _carried(address)
    if carried:
        how, inner, translated = carried
        refusal = _refusal(inner)
        if refusal:
            return f"{address} {how} {inner}, {refusal}"
        if translated:
            return None
    refusal = _refusal(address)
    return f"{address} is {refusal}" if refusal else None


def check_url(url):
    """(scheme, host, port, path with query) of a URL webhooks may be sent to, or AddressRefused.
    Checks what can be checked without resolving the name."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise AddressRefused("Use an https:// address.")
    if parts.scheme == "http" and not settings.WEBHOOK_ALLOW_HTTP:
        raise AddressRefused("Use an https:// address: this site sends webhooks over HTTPS only.")
    if parts.username or parts.password:
        raise AddressRefused("Leave the user name and password out of the address.")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise AddressRefused("That address's port is not a number.") from None
    if not host:
        raise AddressRefused("The address has no host name.")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and not host_allowed(host, port):
        reason = forbidden_address(literal)
        if reason:
            raise AddressRefused(f"Webhooks can't be sent there: {reason}.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port, path


def resolve(host, port):
    """The addresses `host` resolves to, every one of them allowed, or AddressRefused; LookupError
    if it resolves to nothing. Hosts the operator allowed by name (on that port) are
    resolved but not checked."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise LookupError(f"{host} could not be resolved: {exc.strerror}") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if not host_allowed(host, port):
        for address in addresses:
            reason = forbidden_address(address)
            if reason:
                raise AddressRefused(
                    f"Webhooks can't be sent there: {reason} ({host} resolves to it)."
                )
    return addresses
