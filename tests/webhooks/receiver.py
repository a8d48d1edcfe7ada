"""A webhook receiver on loopback for the tests: it answers each request as its script
says and checks every signature with the `standardwebhooks` library, as a real receiver
would.

The script is a list of behaviours for the first, second, ... request of each webhook-id
(the last one repeats): an int (answer with that status), "timeout" (never answer),
"reset" (close the connection abruptly), "drip" (a 200 whose body comes a byte a second,
forever), "huge" (a 200 with a 64 MB body), ("redirect", url) (a 302 to url) or ("sleep", seconds)
(a 200 after that long: a slow receiver that answers within the deadline). With `tls`,
it answers HTTPS as localhost.
"""

import json
import socket
import ssl
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


class Receiver:
    def __init__(self, secret=None, script=(200,), tls=None):
        self.secret = secret
        self.script = list(script)
        self.requests = []  # dicts: id, verified, payload, behaviour, path, at
        self._seen = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                receiver._handle(self)

            def do_GET(self):
                receiver._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        if tls:  # (certificate, key) files for localhost
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.url = f"https://localhost:{self.port}/hooks"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()

    # --- what arrived -------------------------------------------------------------------

    def ids(self, verified_only=True):
        return [r["id"] for r in self.requests if r["verified"] or not verified_only]

    def delivered(self):
        """webhook-ids answered with a 2xx, each once per success."""
        return [r["id"] for r in self.requests if r["behaviour"] == 200]

    def wait_for(self, condition, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.05)
        return False

    # --- answering ------------------------------------------------------------------------

    def _verify(self, headers, body):
        if self.secret is None:
            return None
        try:
            Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            return False
        return True

    def _handle(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        headers = {name.lower(): value for name, value in handler.headers.items()}
        webhook_id = headers.get("webhook-id")
        with self._lock:
            nth = self._seen[webhook_id]
            self._seen[webhook_id] += 1
            behaviour = self.script[min(nth, len(self.script) - 1)]
            try:
                payload = json.loads(body) if body else None
            except ValueError:
                payload = None
            self.requests.append(
                {
                    "id": webhook_id,
                    "verified": self._verify(headers, body),
                    "payload": payload,
                    "headers": headers,
                    "behaviour": behaviour,
                    "path": handler.path,
                    "at": time.time(),
                }
            )
        self._answer(handler, behaviour)

    def _answer(self, handler, behaviour):
        if behaviour == "timeout":
            self._stop.wait(120)
            handler.close_connection = True
        elif behaviour == "reset":
            # SO_LINGER 0: close() sends a RST, as a crashed receiver or a firewall would.
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            handler.close_connection = True
            handler.connection.close()
        elif behaviour == "drip":
            handler.send_response(200)
            handler.send_header("Content-Length", "100000")
            handler.end_headers()
            while not self._stop.wait(1):
                try:
                    handler.wfile.write(b"x")
                    handler.wfile.flush()
                except OSError:
                    return
        elif behaviour == "huge":
            handler.send_response(200)
            size = 64 * 1024 * 1024
            handler.send_header("Content-Length", str(size))
            handler.end_headers()
            chunk = b"<b>huge</b>" * 6000
            sent = 0
            try:
                while sent < size and not self._stop.is_set():
                    handler.wfile.write(chunk)
                    sent += len(chunk)
            except OSError:
                return
        elif isinstance(behaviour, tuple) and behaviour[0] == "sleep":
            self._stop.wait(behaviour[1])
            self._answer(handler, 200)
        elif isinstance(behaviour, tuple) and behaviour[0] == "redirect":
            handler.send_response(302)
            handler.send_header("Location", behaviour[1])
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        else:
            text = f"status {behaviour} <script>alert(1)</script>".encode()
            handler.send_response(behaviour)
            handler.send_header("Content-Type", "text/plain")
            handler.send_header("Content-Length", str(len(text)))
            handler.end_headers()
            handler.wfile.write(text)
