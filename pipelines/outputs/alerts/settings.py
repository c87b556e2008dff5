"""Alert settings: each rule's switch, threshold, least n and subjects (`[alerts.rules.<name>]`
in `.dlt/config.toml`, or `ALERTS__RULES__<NAME>__THRESHOLD` and so on), and where alerts go
(`[alerts.slack]`, `[alerts.webhook]`, `[alerts.email]` in `.dlt/secrets.toml`: URLs, tokens and
passwords are secrets)."""

from dataclasses import dataclass
from fnmatch import fnmatch
from typing import Any, List, Optional, Sequence

import dlt

from pipelines.common.errors import ConfigError
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
        return any(fnmatch(finding.workspace, p) or fnmatch(finding.subject, p) for p in self.subjects)


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
    subjects = setting(f"{prefix}.subjects") or ["*"]
    if isinstance(subjects, str):
        subjects = [s.strip() for s in subjects.split(",") if s.strip()]
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
    recipients = setting("alerts.email.to", secret=True) or []
    if isinstance(recipients, str):
        recipients = [r.strip() for r in recipients.split(",") if r.strip()]
    sender = setting("alerts.email.from", secret=True)
    if not recipients or not sender:
        raise ConfigError("ALERTS__EMAIL__HOST is set: set ALERTS__EMAIL__FROM and ALERTS__EMAIL__TO too")
    return EmailSettings(
        host=str(host), port=int(number(setting("alerts.email.port", secret=True) or 587, "ALERTS__EMAIL__PORT")),
        sender=str(sender), recipients=list(recipients),
        username=setting("alerts.email.username", secret=True), password=setting("alerts.email.password", secret=True),
        ca_file=setting("alerts.email.ca_file", secret=True),
    )
