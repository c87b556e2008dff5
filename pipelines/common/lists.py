"""List-valued settings, however they are written: a TOML list, a JSON list in one environment
variable (as dlt reads list-valued variables: `ALERTS__EMAIL__TO='["a@x.example"]'`), or
comma-separated values in one variable (`job_1,job_2`)."""

import json
from typing import List

from pipelines.common.errors import ConfigError


def text_list(value: object, setting: str) -> List[str]:
    """The setting's items as trimmed strings, empty ones dropped; one line naming `setting`
    (the variable a user sets) when it is none of the forms above."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith("["):
            return [part.strip() for part in text.split(",") if part.strip()]
        try:
            value = json.loads(text)
        except ValueError:
            raise ConfigError(f"{setting} is not a JSON list: {text!r}") from None
    if not isinstance(value, (list, tuple)) or any(isinstance(v, (list, tuple, dict)) for v in value):
        raise ConfigError(f"{setting} is not a list of values: {value!r}")
    return [str(v).strip() for v in value if str(v).strip()]
