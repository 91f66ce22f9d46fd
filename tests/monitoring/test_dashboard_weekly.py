"""Over long periods the dashboard's plots over time show weeks (no database needed)."""

from __future__ import annotations

from datetime import date

import pytest

from monitoring.dashboard import _weekly


def test_days_are_summed_per_week_starting_on_monday() -> None:
    monday = {"rules": {"R": 0.1}, "fairness": [["gender", "F", 40, 0.5, 0.8]]}
    sunday = {"rules": {"R": 0.3}, "fairness": [["gender", "F", 60, 0.4, 0.6]]}
    rows = [
        (date(2026, 11, 2), 100, 60, monday),
        (date(2026, 11, 8), 300, 150, sunday),
        (date(2026, 11, 9), 50, 10, {"rules": {}, "fairness": []}),
    ]
    first, second = _weekly(rows)
    assert first[:3] == (date(2026, 11, 2), 400, 210)
    assert first[3]["rules"]["R"] == pytest.approx((0.1 * 100 + 0.3 * 300) / 400)
    assert first[3]["fairness"] == [
        ["gender", "F", 100, pytest.approx(0.44), pytest.approx((0.8 * 40 + 0.6 * 60) / 100)]
    ]
    assert second == (date(2026, 11, 9), 50, 10, {"rules": {}, "fairness": []})
