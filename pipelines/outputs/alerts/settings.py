"""Alert settings: each rule's switch, threshold, least n and subjects (`[alerts.rules.<name>]`
in `.dlt/config.toml`, or `ALERTS__RULES__<NAME>__THRESHOLD` and so on), and where alerts go
(`[alerts.slack]`, `[alerts.webhook]`, `[alerts.email]` in `.dlt/secrets.toml`: URLs, tokens and
passwords are secrets)."""

from dataclasses import dataclass
from email.utils import parseaddr
from fnmatch import fnmatch
from typing import Any, List, Optional, Sequence, Tuple

import dlt

from pipelines.common.errors import ConfigError
from pipelines.common.lists import text_list
from pipelines.outputs.alerts.rules import Finding, Rule


@dataclass(frozen=True)
class RuleSettings:
    rule: Rule
    enabled: bool
    threshold: Optional[float]
    min_n: int
    subjects: Sequence[str]
    """Patterns (`fnmatch`) of workspace labels or subjects the rule covers; `*`: all."""

    def covers(self, finding: Finding) -> bool:
        return self.matches(finding.workspace, finding.subject)

    def matches(self, workspace: str, subject: str) -> bool:
        return any(fnmatch(workspace, p) or fnmatch(subject, p) for p in self.subjects)

    def check_covers(self, found: Sequence[Finding], open_alerts: Sequence[Tuple[str, str]]) -> None:
        """One line, instead of resolving every open alert of the rule, when its patterns match
        no (workspace, subject) it has open and nothing it finds now: patterns mistyped, or read
        as one string. Narrowing a rule to some subjects is fine; to none of its own is a mistake."""
        if not open_alerts or any(self.matches(*key) for key in open_alerts) or any(map(self.covers, found)):
            return
        examples = ", ".join(sorted({subject for _, subject in open_alerts})[:3])
        raise ConfigError(
            f"{self.variable('SUBJECTS')}={list(self.subjects)!r} matches none of the rule's {len(open_alerts)} open"
            f" alerts (such as {examples}) nor anything it finds now: fix the patterns"
            f" (or set {self.variable('ENABLED')}=false to stop the rule)"
        )

    def variable(self, name: str) -> str:
        return f"ALERTS__RULES__{self.rule.name.upper()}__{name}"


def setting(path: str, secret: bool = False) -> Any:
    return (dlt.secrets if secret else dlt.config).get(path)


def number(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, not {value!r}") from None


def rule_settings(rule: Rule) -> RuleSettings:
    """A rule's settings, its defaults where none is set."""
    prefix = f"alerts.rules.{rule.name}"
    enabled = setting(f"{prefix}.enabled")
    threshold = setting(f"{prefix}.threshold")
    min_n = setting(f"{prefix}.min_n")
    subjects = text_list(setting(f"{prefix}.subjects"), f"ALERTS__RULES__{rule.name.upper()}__SUBJECTS") or ["*"]
    return RuleSettings(
        rule=rule,
        enabled=str(enabled).strip().lower() not in ("false", "0", "no", "off") if enabled is not None else True,
        threshold=rule.threshold if threshold is None else number(threshold, f"ALERTS__RULES__{rule.name.upper()}__THRESHOLD"),
        min_n=rule.min_n if min_n is None else int(number(min_n, f"ALERTS__RULES__{rule.name.upper()}__MIN_N")),
        subjects=list(subjects),
    )


@dataclass(frozen=True)
class EmailSettings:
    host: str
    port: int
    sender: str
    recipients: List[str]
    username: Optional[str]
    password: Optional[str]
    ca_file: Optional[str]
    """A CA bundle to trust besides the system's (a company relay's own certificate)."""


def email_settings() -> Optional[EmailSettings]:
    host = setting("alerts.email.host", secret=True)
    if not host:
        return None
    to = text_list(setting("alerts.email.to", secret=True), "ALERTS__EMAIL__TO")
    recipients = [address(r, "ALERTS__EMAIL__TO") for r in to]
    sender = setting("alerts.email.from", secret=True)
    if not recipients or not sender:
        raise ConfigError("ALERTS__EMAIL__HOST is set: set ALERTS__EMAIL__FROM and ALERTS__EMAIL__TO too")
    return EmailSettings(
        host=str(host), port=int(number(setting("alerts.email.port", secret=True) or 587, "ALERTS__EMAIL__PORT")),
        sender=address(str(sender), "ALERTS__EMAIL__FROM"), recipients=recipients,
        username=setting("alerts.email.username", secret=True), password=setting("alerts.email.password", secret=True),
        ca_file=setting("alerts.email.ca_file", secret=True),
    )


def address(text: str, setting_name: str) -> str:
    """An email address as a setting gives it (`lead@x.example` or `Lead <lead@x.example>`), or
    one line naming the setting: a mail server may take an address it cannot deliver to (`<>`)."""
    _, parsed = parseaddr(text)
    local, _, domain = parsed.rpartition("@")
    if not local or "." not in domain or any(c.isspace() or c in "<>[]\"," for c in parsed):
        raise ConfigError(f"{setting_name}: {text!r} is not an email address")
    return text.strip()
