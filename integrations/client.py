"""One webhook request: to a checked address, within a deadline, reading at most a
kilobyte of the answer.

Redirects are not followed (a 3xx is the receiver's answer, logged as such). The whole
exchange, connecting included, is cut off after WEBHOOK_TIMEOUT seconds, however slowly the
receiver drips its answer, and only the first EXCERPT bytes of the body are read, however
much it sends: a receiver can't hold a worker.
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass

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


class _Deadline:
    """Cuts the connection when the time is up: a blocked read then returns at once."""

    def __init__(self, seconds):
        self.sock = None
        self.expired = False
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def _cut(self):
        self.expired = True
        if self.sock is not None:
            with contextlib.suppress(OSError):  # already closed
                self.sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()


def _connect(addresses, port, timeout):
    """A socket to the first of `addresses` that answers; the peer is checked again."""
    error = None
    for address in addresses:
        try:
            sock = socket.create_connection((str(address), port), timeout=timeout)
        except OSError as exc:
            error = exc
            continue
        peer = ipaddress.ip_address(sock.getpeername()[0])
        if peer != address:  # never expected; the check is on what we really reached
            sock.close()
            raise policy.AddressRefused(f"connected to {peer}, not the checked {address}")
        return sock
    raise error


def post(url, body, headers):
    """POST `body` (bytes) with `headers` to `url`; a Result, never an exception."""
    started = time.monotonic()

    def result(outcome, **fields):
        latency = round((time.monotonic() - started) * 1000)
        return Result(outcome, latency_ms=latency, **fields)

    try:
        scheme, host, port, path = policy.check_url(url)
        addresses = policy.resolve(host, port)
    except policy.AddressRefused as exc:
        return result("blocked", detail=exc.reason)
    except LookupError as exc:
        return result("dns", detail=str(exc))

    timeout = settings.WEBHOOK_TIMEOUT
    host_header = host if port in (80, 443) else f"{host}:{port}"
    connection = None
    with _Deadline(timeout) as deadline:
        try:
            sock = _connect(addresses, port, timeout)
            deadline.sock = sock
            if scheme == "https":
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
                deadline.sock = sock
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
            connection.sock = sock
            connection.request(
                "POST",
                path,
                body=body,
                headers={
                    **headers,
                    "Host": host_header,
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                },
            )
            response = connection.getresponse()
            excerpt = response.read(EXCERPT).decode("utf-8", "replace")
            # The status is the receiver's answer; a body still dripping at the deadline
            # is cut off, not waited for.
            detail = f"the answer was cut off after {timeout} s" if deadline.expired else ""
            outcome = "success" if 200 <= response.status < 300 else "status"
            return result(outcome, status_code=response.status, excerpt=excerpt, detail=detail)
        except policy.AddressRefused as exc:
            return result("blocked", detail=exc.reason)
        except ssl.SSLError as exc:
            return result("tls", detail=str(exc.reason or exc))
        except TimeoutError:
            return result("timeout", detail=f"no answer within {timeout} s")
        except ConnectionRefusedError:
            return result("refused", detail="the connection was refused")
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
            if deadline.expired:
                return result("timeout", detail=f"no answer within {timeout} s")
            return result("reset", detail="the connection was closed before an answer")
        except (OSError, http.client.HTTPException) as exc:
            if deadline.expired:
                return result("timeout", detail=f"no answer within {timeout} s")
            return result("error", detail=f"{type(exc).__name__}: {exc}"[:300])
        finally:
            if connection is not None:
                connection.close()
