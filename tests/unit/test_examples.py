"""The settings examples a user copies: a copied example enables nothing it cannot load."""

import tomllib

from helpers import ROOT


def test_the_secrets_example_enables_only_the_required_instantly_key():
    example = tomllib.loads((ROOT / ".dlt" / "secrets.toml.example").read_text())
    assert example == {"sources": {"instantly": {"api_key": "your-instantly-api-v2-key"}}}
