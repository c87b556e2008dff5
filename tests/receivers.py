"""Where the tests' alerts go: an HTTP receiver and an SMTP server (STARTTLS, with a test CA), both
on 127.0.0.1, recording what they were sent. Nothing goes to the network."""

import json
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List, Set

import trustme
from aiosmtpd.controller import Controller

from simulator.server import free_port


@dataclass
class HttpReceiver:
    """Records each POST body (and its Authorization header) by path; a path in `down` answers
    HTTP 500 and records nothing (a destination that is down)."""

    posts: Dict[str, List[dict]] = field(default_factory=dict)
    down: Set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path not in receiver.down:
                    receiver.posts.setdefault(self.path, []).append(
                        dict(json.loads(body), _authorization=self.headers.get("Authorization")))
                self.send_response(500 if self.path in receiver.down else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


class Mailbox:
    """An SMTP server that requires STARTTLS (its certificate from a CA made for the test) and
    keeps every message it receives."""

    def __init__(self, folder: Path, refuse: Set[str] = frozenset()) -> None:
        self.messages: List[Message] = []
        self.recipients: List[List[str]] = []
        """Each message's envelope recipients (RCPT TO)."""
        self.refuse = refuse
        """Addresses it answers `550 no such user` to."""
        ca = trustme.CA()
        self.ca_file = folder / "test-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, tls_context=context,
                                     require_starttls=True)
        self.controller.start()

    async def handle_RCPT(self, server: object, session: object, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list) -> str:
        if address in self.refuse:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append(message_from_bytes(envelope.content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def close(self) -> None:
        self.controller.stop()
