"""Alert rules decide on a figure's 95% interval, not its point estimate: a bounce rate or a
warmup spam rate above its threshold opens an alert only when the whole interval is above it."""

import pytest

from helpers import wilson
from pipelines.outputs.alerts.rules import MAILBOX_BOUNCE_RATE, WARMUP_SPAM
from pipelines.outputs.certainty import wilson_interval


def test_a_bounce_rate_above_the_threshold_within_its_noise_opens_nothing():
    # 2 bounces of 32 sends is 6.2%, but its interval (1.7%-20%) reaches below 5%
    assert not MAILBOX_BOUNCE_RATE.breaches({"figure": 2 / 32, "hits": 2, "n": 32}, 0.05, 20)


def test_a_bounce_rate_above_the_threshold_beyond_its_noise_opens_an_alert():
    # 6 of 33 is 18%, interval 8.6%-34%
    assert MAILBOX_BOUNCE_RATE.breaches({"figure": 6 / 33, "hits": 6, "n": 33}, 0.05, 20)


def test_a_day_with_more_bounces_than_sends_is_above_any_threshold():
    # a day's bounces may answer earlier days' sends: the query caps the hits at the sends
    assert MAILBOX_BOUNCE_RATE.breaches({"figure": 30 / 25, "hits": 25, "n": 25}, 0.05, 20)


def test_warmup_spam_decides_on_the_seven_days_interval():
    assert WARMUP_SPAM.breaches({"figure": 13 / 73, "hits": 13, "n": 73}, 0.1, 10)  # 10.7%-28%
    assert not WARMUP_SPAM.breaches({"figure": 16 / 108, "hits": 16, "n": 108}, 0.1, 10)  # 9.3%-23%


@pytest.mark.parametrize("hits, n", [(0, 1), (1, 1), (2, 32), (6, 33), (16, 108), (40, 40)])
def test_the_interval_is_the_textbook_wilson_interval(hits, n):
    assert wilson_interval(hits, n) == pytest.approx(wilson(hits, n))
