"""One webhook request, made by libcurl (pycurl): to a checked address, within a deadline,
reading at most a kilobyte of the answer.

The name is resolved and every address checked by `policy.resolve`; curl is handed those
addresses (CURLOPT_RESOLVE) so it never resolves the name itself, and it opens every
socket through `_open`, which refuses an address that was not checked: the check is made
on what is really connected to. Redirects are not followed (a 3xx is the receiver's
answer, logged as such), no proxy from the environment is used, and only HTTP(S) is
spoken. The whole exchange, connecting included, is cut off after WEBHOOK_TIMEOUT seconds
(CURLOPT_TIMEOUT_MS), however slowly the receiver drips its answer, and reading stops after
the first EXCERPT bytes of the body, however much it sends: a receiver can't hold a worker.
"""

import errno
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from io import BytesIO

import pycurl
from django.conf import settings

from . import policy

EXCERPT = 1024
USER_AGENT = "Canvass-Webhooks/1"


@dataclass
class Result:
    outcome: str  # see Attempt.Outcome
    status_code: int | None = None
    latency_ms: int = 0
    excerpt: str = ""
    detail: str = ""

    @property
    def succeeded(self):
        return self.outcome == "success"


def _open(family, socktype, protocol, address, checked):
    """The socket curl connects to `address` with, or None when it was not checked."""
    if ipaddress.ip_address(address) not in checked:  # never expected: curl was told these
        return None
    return socket.socket(family, socktype, protocol)


class _Exchange:
    """What one request learns as it goes: the first EXCERPT bytes, a refused address."""

    def __init__(self, checked):
        self.checked = checked
        self.body = BytesIO()
        self.refused = None
        self.sockets = []  # curl connects with a copy of each; ours are closed at the end

    def open_socket(self, purpose, address):
        peer = address.addr[0]
        sock = _open(address.family, address.socktype, address.protocol, peer, self.checked)
        if sock is None:
            self.refused = f"connected to {peer}, not a checked address"
            return pycurl.SOCKET_BAD
        self.sockets.append(sock)
        return sock

    def write(self, data):
        """Keep up to EXCERPT bytes; then stop the transfer (curl's write error 23)."""
        room = EXCERPT - self.body.tell()
        self.body.write(data[:room])
        return len(data) if len(data) < room else 0


def _handle(url, body, headers, host, port, addresses, exchange):
    curl = pycurl.Curl()
    pinned = ",".join(f"[{a}]" if a.version == 6 else str(a) for a in addresses)
    curl.setopt(pycurl.URL, url)
    curl.setopt(pycurl.RESOLVE, [f"{host}:{port}:{pinned}"])
    curl.setopt(pycurl.OPENSOCKETFUNCTION, exchange.open_socket)
    curl.setopt(pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS)
    curl.setopt(pycurl.FOLLOWLOCATION, False)
    curl.setopt(pycurl.PROXY, "")  # an empty proxy turns off http(s)_proxy from the env
    curl.setopt(pycurl.NOSIGNAL, True)  # timeouts without SIGALRM: workers have threads
    curl.setopt(pycurl.TIMEOUT_MS, round(settings.WEBHOOK_TIMEOUT * 1000))
    # The system's trust store as Python's ssl finds it (SSL_CERT_FILE and SSL_CERT_DIR
    # included): the wheel's own libcurl would look where it was built.
    trust = ssl.get_default_verify_paths()
    if trust.cafile:
        curl.setopt(pycurl.CAINFO, trust.cafile)
    if trust.capath:
        curl.setopt(pycurl.CAPATH, trust.capath)
    curl.setopt(pycurl.POSTFIELDS, body)
    curl.setopt(
        pycurl.HTTPHEADER,
        [
            *(f"{name}: {value}" for name, value in headers.items()),
            "Content-Type: application/json",
            f"User-Agent: {USER_AGENT}",
            "Expect:",  # no 100-continue round trip for bodies over a kilobyte
        ],
    )
    curl.setopt(pycurl.WRITEFUNCTION, exchange.write)
    return curl


def post(url, body, headers):
    """POST `body` (bytes) with `headers` to `url`; a Result, never an exception."""
    started = time.monotonic()

    def result(outcome, **fields):
        latency = round((time.monotonic() - started) * 1000)
        return Result(outcome, latency_ms=latency, **fields)

    try:
        _, host, port, _ = policy.check_url(url)
        addresses = policy.resolve(host, port)
    except policy.AddressRefused as exc:
        return result("blocked", detail=exc.reason)
    except LookupError as exc:
        return result("dns", detail=str(exc))

    timeout = settings.WEBHOOK_TIMEOUT
    exchange = _Exchange(set(addresses))
    curl = _handle(url, body, headers, host, port, addresses, exchange)
    try:
        code, message = None, ""
        try:
            curl.perform()
        except pycurl.error as exc:
            code, message = exc.args
        status = curl.getinfo(pycurl.RESPONSE_CODE) or None
        os_errno = curl.getinfo(pycurl.OS_ERRNO)
    finally:
        curl.close()
        for sock in exchange.sockets:
            sock.close()
    excerpt = exchange.body.getvalue().decode("utf-8", "replace")

    if exchange.refused:
        return result("blocked", detail=exchange.refused)
    if status is not None and code in (None, pycurl.E_WRITE_ERROR, pycurl.E_OPERATION_TIMEDOUT):
        # The status is the receiver's answer; a body past the excerpt is not read, and one
        # still dripping at the deadline is cut off, not waited for.
        cut_off = code == pycurl.E_OPERATION_TIMEDOUT
        detail = f"the answer was cut off after {timeout} s" if cut_off else ""
        outcome = "success" if 200 <= status < 300 else "status"
        return result(outcome, status_code=status, excerpt=excerpt, detail=detail)
    if code == pycurl.E_OPERATION_TIMEDOUT:
        return result("timeout", detail=f"no answer within {timeout} s")
    if code == pycurl.E_COULDNT_CONNECT and os_errno == errno.ECONNREFUSED:
        return result("refused", detail="the connection was refused")
    if code in (pycurl.E_SSL_CONNECT_ERROR, pycurl.E_PEER_FAILED_VERIFICATION):
        return result("tls", detail=message)
    if code in (pycurl.E_GOT_NOTHING, pycurl.E_RECV_ERROR, pycurl.E_SEND_ERROR):
        return result("reset", detail="the connection was closed before an answer")
    return result("error", detail=f"curl error {code}: {message}"[:300])
