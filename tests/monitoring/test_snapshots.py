"""Daily snapshots (idempotent), the alerts they raise, and acknowledging alerts."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User

from credit_ml.synthetic import generate_applications
from monitoring.models import MonitoringAlert, MonitoringSnapshot
from monitoring.selectors import Period
from monitoring.services import monitoring_report
from monitoring.snapshots import AlertAcknowledgeRefused, alert_acknowledge, snapshots_for_day
from monitoring.tasks import snapshot_previous_day
from registry.models import ModelVersion
from tests.monitoring.conftest import Record

DAY = date(2026, 11, 2)


def test_a_day_is_snapshotted_once_per_client_and_for_all_and_a_rerun_writes_nothing(
    champion: ModelVersion, record: Record
) -> None:
    record(generate_applications(rows=60, seed=91), on=DAY)
    record(generate_applications(rows=40, seed=92), on=DAY, client="koperasi-maju")
    written = snapshots_for_day(day=DAY)
    assert [(s.client_name, s.decisions) for s in written] == [
        ("", 100),
        ("bank-jaya", 60),
        ("koperasi-maju", 40),
    ]
    every = written[0]
    expected = monitoring_report(period=Period(DAY, DAY), model_label=champion.label).to_dict()
    assert every.report == expected
    assert every.approved == expected["decision_mix"]["APPROVE"]["count"]
    assert every.score_psi == expected["stability"]["score"]["psi"]
    alerts = MonitoringAlert.objects.count()
    before = list(MonitoringSnapshot.objects.order_by("pk").values_list("pk", "created_at"))

    assert snapshots_for_day(day=DAY) == []
    assert snapshot_previous_day.delay(DAY.isoformat()).get() == {"snapshots": 0, "alerts": 0}
    assert list(MonitoringSnapshot.objects.order_by("pk").values_list("pk", "created_at")) == before
    assert MonitoringAlert.objects.count() == alerts


def test_a_day_without_decisions_writes_no_snapshot(champion: ModelVersion) -> None:
    assert snapshots_for_day(day=DAY) == []
    assert MonitoringSnapshot.objects.count() == 0


def test_a_shifted_population_and_a_falling_approval_rate_raise_alerts(
    champion: ModelVersion, record: Record
) -> None:
    record(generate_applications(rows=300, seed=93), on=date(2026, 10, 26))
    halved = generate_applications(rows=300, seed=94)
    halved["monthly_income"] = (halved["monthly_income"] / 2).round(-3)
    record(halved, on=DAY)
    snapshots_for_day(day=date(2026, 10, 26))
    (shifted, _) = snapshots_for_day(day=DAY)
    kinds = {(a.kind, a.subject) for a in shifted.alerts.all()}
    assert ("PSI_ACT", "monthly_income") in kinds
    income = shifted.alerts.get(kind="PSI_ACT", subject="monthly_income")
    assert income.value == shifted.report["stability"]["fields"]["monthly_income"]["psi"]
    assert income.threshold == 0.25
    week_before = MonitoringSnapshot.objects.get(day=date(2026, 10, 26), client_name="")
    assert week_before.approval_rate is not None
    assert shifted.approval_rate is not None
    points = (shifted.approval_rate - week_before.approval_rate) * 100
    assert points < -10
    shift = shifted.alerts.get(kind="APPROVAL_SHIFT")
    assert shift.value == pytest.approx(points)
    assert shift.threshold == 10.0
    flagged = {
        f"{name}={row['group']}"
        for name, rows in shifted.report["fairness"].items()
        for row in rows
        if row["flagged"]
    }
    assert {a.subject for a in shifted.alerts.filter(kind="DISPARATE_IMPACT")} == flagged


def test_an_alert_is_acknowledged_once_with_a_note_and_never_deleted(
    champion: ModelVersion, record: Record
) -> None:
    halved = generate_applications(rows=200, seed=95)
    halved["monthly_income"] = (halved["monthly_income"] / 2).round(-3)
    record(halved, on=DAY)
    snapshots_for_day(day=DAY)
    alert = MonitoringAlert.objects.filter(kind="PSI_ACT").first()
    assert alert is not None
    risk = User.objects.create_user("risk", password="pw")
    with pytest.raises(AlertAcknowledgeRefused, match="the note is required"):
        alert_acknowledge(alert_id=alert.pk, user=risk, note="   ")
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledged_at, alert.acknowledgement) == (None, None, "")
    done = alert_acknowledge(alert_id=alert.pk, user=risk, note=" Campaign in Jawa Barat ")
    alert.refresh_from_db()
    assert alert.acknowledged_by == risk
    assert alert.acknowledged_at == done.acknowledged_at
    assert alert.acknowledgement == "Campaign in Jawa Barat"
    with pytest.raises(AlertAcknowledgeRefused, match="already acknowledged"):
        alert_acknowledge(alert_id=alert.pk, user=risk, note="again")
    alert.refresh_from_db()
    assert alert.acknowledgement == "Campaign in Jawa Barat"
