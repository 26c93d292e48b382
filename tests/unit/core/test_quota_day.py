from datetime import UTC, datetime

from bgr_core.money import subscriptions


def test_quota_day_is_jakarta_calendar_day():
    assert subscriptions.today(datetime(2026, 11, 21, 16, 59, tzinfo=UTC)) == "2026-11-21"
    assert subscriptions.today(datetime(2026, 11, 21, 17, 0, tzinfo=UTC)) == "2026-11-22"
