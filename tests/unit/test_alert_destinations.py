"""A destination that fails is described without its secret address."""

import pytest

from pipelines.outputs.alerts.destinations import DeliveryFailed, post_json


@pytest.mark.parametrize("url", ["hooks.example.com/services/T000/SECRET", "http://127.0.0.1:9/services/T000/SECRET"])
def test_a_failing_webhook_is_named_by_its_reason_never_by_its_address(url):
    with pytest.raises(DeliveryFailed) as failure:
        post_json(url, {"text": "x"})
    assert "SECRET" not in str(failure.value) and str(failure.value)
