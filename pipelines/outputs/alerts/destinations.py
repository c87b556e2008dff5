"""Where alerts go: a Slack-compatible incoming webhook, a generic JSON webhook, and email over
SMTP with STARTTLS. Each sends one message per run with every alert event waiting for it.

URLs, tokens and passwords are secrets: a failure is described by its status or its reason,
never by the address or the credentials.
"""

import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Callable, Dict, List, Optional

from pipelines.common.client import USER_AGENT
from pipelines.outputs.alerts.rules import Finding
from pipelines.outputs.alerts.settings import EmailSettings, email_settings, setting

TIMEOUT_S = 15
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event(Finding):
    """An alert opening or resolving, as sent."""

    kind: str
    """`opened` or `resolved`."""
    title: str
    first_seen_at: str
    resolved_at: Optional[str]

    def line(self) -> str:
        if self.kind == "resolved":
            return (f"[{self.workspace}] resolved: {self.title}, {self.subject} (open since {self.first_seen_at[:16]} UTC);"
                    f" see {self.mart_row}")
        return f"[{self.workspace}] {self.title}, {self.subject}: {self.text}; see {self.mart_row}"

    def payload(self) -> Dict[str, object]:
        return dict(vars(self), message=self.line())


Send = Callable[[List[Event], str], None]
"""A destination: sends one message with every event given and which warehouse they come from
(`marts.as_of`), or raises DeliveryFailed."""


class DeliveryFailed(Exception):
    """A destination did not take the message; the text names no secret."""


def summary(events: List[Event]) -> str:
    opened = sum(e.kind == "opened" for e in events)
    return f"Deliverability alerts: {opened} opened, {len(events) - opened} resolved"


def post_json(url: str, body: object, headers: Optional[Dict[str, str]] = None) -> None:
    try:
        request = urllib.request.Request(
            url, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **(headers or {})},
        )
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryFailed(str(getattr(exc, "reason", exc))) from None
    except ValueError:  # urllib's message would quote the (secret) address
        raise DeliveryFailed("its URL is not a valid http(s) URL") from None


SLACK_MAX_CHARS = 4000
"""A Slack message's text is kept under this (Slack truncates past 40,000 characters and advises
4,000): the digest says what it left out, and the report has it all."""
TOP_PER_WORKSPACE = 5
LINE_MAX_CHARS = 400


def digest(events: List[Event], source: str, max_chars: int = SLACK_MAX_CHARS, top: int = TOP_PER_WORKSPACE) -> str:
    """The events as one message a person reads: the summary, the warehouse, then per workspace a
    line of its counts, its first events and "and K more". Each workspace lists as many events
    (up to `top`) as lets every workspace's line fit in `max_chars`; workspaces beyond even that
    are counted at the end. Nothing is left out without saying so."""
    by_workspace: Dict[str, List[Event]] = {}
    for event in events:
        by_workspace.setdefault(event.workspace, []).append(event)
    head = [summary(events), f"From {source}."]
    for listed in range(top, -1, -1):
        text = "\n".join(head + [line for workspace, theirs in sorted(by_workspace.items())
                                  for line in workspace_block(workspace, theirs, listed)])
        if len(text) <= max_chars:
            return text
    lines = head
    for shown, (workspace, theirs) in enumerate(sorted(by_workspace.items())):
        closing = f"and {len(by_workspace) - shown} more workspaces with alerts (the report lists them)"
        if len("\n".join(lines + workspace_block(workspace, theirs, 0) + [closing])) > max_chars:
            return "\n".join(lines + [closing])
        lines = lines + workspace_block(workspace, theirs, 0)
    return "\n".join(lines)


def workspace_block(workspace: str, events: List[Event], listed: int) -> List[str]:
    """A workspace's line of counts, its first `listed` events and how many more it has."""
    opened = sum(e.kind == "opened" for e in events)
    block = [f"[{workspace}] {opened} opened, {len(events) - opened} resolved"]
    block += [f"• {shorten(e.line())}" for e in events[:listed]]
    if len(events) > listed:
        block.append(f"  and {len(events) - listed} more (the report lists them)")
    return block


def shorten(line: str) -> str:
    return line if len(line) <= LINE_MAX_CHARS else line[:LINE_MAX_CHARS - 1] + "…"


def slack(url: str) -> Send:
    """Slack's (and Mattermost's, Teams' workflows') incoming-webhook message: `{"text": ...}`,
    a digest within Slack's limits (`digest`)."""
    return lambda events, source: post_json(url, {"text": digest(events, source)})


def webhook(url: str, token: Optional[str]) -> Send:
    """A generic JSON webhook: every event with its fields, a bearer token when configured."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return lambda events, source: post_json(
        url, {"summary": summary(events), "source": source, "alerts": [e.payload() for e in events]}, headers)


def email(settings: EmailSettings) -> Send:
    def send(events: List[Event], source: str) -> None:
        message = EmailMessage()
        message["Subject"] = summary(events)
        message["From"] = settings.sender
        message["To"] = ", ".join(settings.recipients)
        message.set_content("\n\n".join([f"From {source}."] + [e.line() for e in events]) + "\n")
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_S) as smtp:
                smtp.starttls(context=ssl.create_default_context(cafile=settings.ca_file))
                if settings.username:
                    smtp.login(settings.username, settings.password or "")
                refused = smtp.send_message(message)
            if refused:  # some recipients refused (all refused raises): the others have it
                log.warning("alert email refused for %d of %d recipients", len(refused), len(settings.recipients))
        except (smtplib.SMTPException, OSError) as exc:
            text = str(exc)
            for secret in (settings.password, settings.username):
                if secret:
                    text = text.replace(secret, "***")
            raise DeliveryFailed(text) from None

    return send


def configured() -> Dict[str, Send]:
    """The destinations set in the secrets, by name."""
    out: Dict[str, Send] = {}
    if url := setting("alerts.slack.webhook_url", secret=True):
        out["slack"] = slack(str(url))
    if url := setting("alerts.webhook.url", secret=True):
        out["webhook"] = webhook(str(url), setting("alerts.webhook.token", secret=True))
    if settings := email_settings():
        out["email"] = email(settings)
    return out
