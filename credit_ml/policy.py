"""Regulatory and lender rules as date-effective data, evaluated for one application.

A ``RuleSet`` is configuration: a named, versioned list of ``Rule`` objects, each with a
``Schedule`` of thresholds that take effect on given dates. A decision applies the threshold
in force on its decision date, and every rule is reported with the figures it compared, so
an examiner can see which limit was applied and since when. ``RuleSet.to_dict`` and
``RuleSet.from_dict`` round-trip through JSON so a rule set can be stored and recorded with
each decision. ``PolicyEvaluator`` does the same for many applications in array passes, with
results equal bit for bit.

Units: money in rupiah, DSR and caps as fractions (0.3 = 30 %), ages in years, terms in
whole months.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt

from credit_ml.features import (
    BoolArray,
    FeatureConfig,
    FeatureInputError,
    FloatArray,
    annuity_installment,
    debt_service_ratio,
    principal_for_installment,
)
from credit_ml.formatting import (
    format_date,
    format_number,
    format_percent_both,
    format_value,
)
from credit_ml.schema import INDONESIAN_SCHEMA, ApplicationSchema, Unit

#: A DSR this close above the cap still meets it: absorbs floating-point noise only
#: (1e-9 of Rp 10,000,000 income is a hundredth of a rupiah).
DSR_TOLERANCE = 1e-9

#: Counteroffer amounts are whole multiples of this many rupiah, rounded down.
AMOUNT_STEP = 100_000

FINTECH_SOURCE = "POJK 40/2024; SEOJK 19/SEOJK.06/2025"
FINTECH_VERSION = "fintech-2026.1"
BANK_VERSION = "bank-2026.1"
#: The earliest date of the built-in rule sets; before it no built-in rule is in force.
RULES_START = date(2024, 1, 1)

MARRIED = "MARRIED"


class RuleKind(StrEnum):
    """What a rule compares; each kind has one evaluator below."""

    MAX_DSR = "max_dsr"  # (existing + new installment) / income <= limit
    MAX_PLATFORMS = "max_platforms"  # active platforms + this one <= limit
    MIN_AGE = "min_age"  # age >= limit, or married
    MIN_INCOME = "min_income"  # monthly income >= limit
    MAX_LOAN_AMOUNT = "max_loan_amount"  # requested amount <= limit


# --------------------------------------------------------------------------------------
# Rules as data
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    """From ``effective_from`` on, the rule's limit is ``value``; ``None`` suspends the rule."""

    effective_from: date
    value: float | None


@dataclass(frozen=True)
class Schedule:
    """One rule's thresholds, sorted by date on construction; dates must be unique.

    The threshold in force on a day is the latest one dated on or before it. Before the
    first threshold, and while the latest threshold's value is ``None``, the rule is not in
    force.
    """

    thresholds: tuple[Threshold, ...]

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.thresholds, key=lambda t: t.effective_from))
        days = [t.effective_from for t in ordered]
        if len(set(days)) != len(days):
            raise ValueError("A schedule cannot have two thresholds on the same date.")
        object.__setattr__(self, "thresholds", ordered)

    def threshold_on(self, day: date) -> Threshold | None:
        """The threshold in force on ``day`` (its value may be ``None``), if any."""
        current = None
        for threshold in self.thresholds:
            if threshold.effective_from > day:
                break
            current = threshold
        return current

    def value_on(self, day: date) -> float | None:
        """The limit on ``day``; ``None`` when the rule is not in force that day."""
        threshold = self.threshold_on(day)
        return None if threshold is None else threshold.value

    def next_in_force_after(self, day: date) -> Threshold | None:
        """The first later threshold that puts a limit in force, if one is scheduled."""
        later = (t for t in self.thresholds if t.effective_from > day and t.value is not None)
        return next(later, None)


@dataclass(frozen=True)
class Rule:
    """One rule: a stable ``code``, what it checks (``kind``), its limits over time, its legal
    ``source`` citation and bilingual titles."""

    code: str
    kind: RuleKind
    schedule: Schedule
    title_id: str
    title_en: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "kind": str(self.kind),
            "title_id": self.title_id,
            "title_en": self.title_en,
            "source": self.source,
            "schedule": [
                {"effective_from": t.effective_from.isoformat(), "value": t.value}
                for t in self.schedule.thresholds
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rule:
        thresholds = tuple(
            Threshold(
                date.fromisoformat(item["effective_from"]),
                None if item["value"] is None else float(item["value"]),
            )
            for item in data["schedule"]
        )
        return cls(
            code=str(data["code"]),
            kind=RuleKind(data["kind"]),
            schedule=Schedule(thresholds),
            title_id=str(data["title_id"]),
            title_en=str(data["title_en"]),
            source=str(data["source"]),
        )


@dataclass(frozen=True)
class RuleSet:
    """A named, versioned rule set ("fintech", "bank", or a lender's own); codes are unique."""

    name: str
    version: str
    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        codes = [rule.code for rule in self.rules]
        if len(set(codes)) != len(codes):
            raise ValueError(f"Rule codes must be unique in rule set {self.version!r}.")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form; ``RuleSet.from_dict`` restores an equal rule set."""
        return {
            "name": self.name,
            "version": self.version,
            "rules": [rule.to_dict() for rule in self.rules],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSet:
        """Rebuild a rule set from ``to_dict`` output; malformed input is a ``ValueError``."""
        try:
            rules = tuple(Rule.from_dict(item) for item in data["rules"])
            return cls(name=str(data["name"]), version=str(data["version"]), rules=rules)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"Malformed rule set: {exc!r}") from exc


def _schedule(*steps: tuple[date, float | None]) -> Schedule:
    return Schedule(tuple(Threshold(day, value) for day, value in steps))


def fintech_rule_set() -> RuleSet:
    """OJK rules for fintech lending (LPBBTI) under POJK 40/2024 and SEOJK 19/SEOJK.06/2025.

    Repayment-to-income cap 50 % (2024), 40 % (2025), 30 % (from 2026); at most 3 lending
    platforms including this one; age 18+ or married; monthly income at least Rp 3,000,000
    from 2027-01-01; funding at most Rp 2,000,000,000 per borrower.
    """
    return RuleSet(
        name="fintech",
        version=FINTECH_VERSION,
        rules=(
            Rule(
                code="OJK_MAX_REPAYMENT_TO_INCOME",
                kind=RuleKind.MAX_DSR,
                schedule=_schedule(
                    (date(2024, 1, 1), 0.50), (date(2025, 1, 1), 0.40), (date(2026, 1, 1), 0.30)
                ),
                title_id="Batas total cicilan terhadap penghasilan",
                title_en="Repayment-to-income cap",
                source=FINTECH_SOURCE,
            ),
            Rule(
                code="OJK_MAX_LENDING_PLATFORMS",
                kind=RuleKind.MAX_PLATFORMS,
                schedule=_schedule((RULES_START, 3)),
                title_id="Batas jumlah platform pinjaman",
                title_en="Maximum number of lending platforms",
                source=FINTECH_SOURCE,
            ),
            Rule(
                code="OJK_MIN_AGE",
                kind=RuleKind.MIN_AGE,
                schedule=_schedule((RULES_START, 18)),
                title_id="Usia minimal atau berstatus kawin",
                title_en="Minimum age, or married",
                source=FINTECH_SOURCE,
            ),
            Rule(
                code="OJK_MIN_INCOME",
                kind=RuleKind.MIN_INCOME,
                schedule=_schedule((date(2027, 1, 1), 3_000_000)),
                title_id="Penghasilan bulanan minimal",
                title_en="Minimum monthly income",
                source=FINTECH_SOURCE,
            ),
            Rule(
                code="OJK_MAX_FUNDING",
                kind=RuleKind.MAX_LOAN_AMOUNT,
                schedule=_schedule((RULES_START, 2_000_000_000)),
                title_id="Batas maksimal pendanaan per penerima dana",
                title_en="Maximum funding per borrower",
                source=FINTECH_SOURCE,
            ),
        ),
    )


def bank_rule_set(max_dsr: float = 0.35, *, effective_from: date = RULES_START) -> RuleSet:
    """A bank's own DSR limit (banks have no statutory DSR cap for consumer loans).

    The limit is part of the version ("bank-2026.1-dsr35"), so two banks' sets with
    different limits never share a version string.
    """
    if not 0 < max_dsr <= 1:
        raise ValueError("max_dsr must be a fraction in (0, 1], e.g. 0.35 for 35 %.")
    percent = format_number(max_dsr * 100, lang="en", decimals=2)
    rule = Rule(
        code="BANK_MAX_DSR",
        kind=RuleKind.MAX_DSR,
        schedule=_schedule((effective_from, max_dsr)),
        title_id="Batas DSR kebijakan kredit bank",
        title_en="Bank credit policy DSR limit",
        source="Kebijakan kredit internal bank / the bank's own credit policy",
    )
    return RuleSet(name="bank", version=f"{BANK_VERSION}-dsr{percent}", rules=(rule,))


# --------------------------------------------------------------------------------------
# Debt service ratio of one application
# --------------------------------------------------------------------------------------


def application_rate(values: Mapping[str, Any], feature_config: FeatureConfig) -> float:
    """The application's annual interest rate, or the configured default when it is empty."""
    rate = values.get("annual_interest_rate")
    return feature_config.default_annual_interest_rate if rate is None else float(rate)


def _required(values: Mapping[str, Any], name: str) -> float:
    value = values.get(name)
    if value is None:
        raise FeatureInputError(name, "Required to compute the debt service ratio.")
    return float(value)


def _dsr(
    values: Mapping[str, Any],
    amount: npt.ArrayLike,
    term_months: npt.ArrayLike,
    feature_config: FeatureConfig,
) -> FloatArray:
    installment = annuity_installment(amount, application_rate(values, feature_config), term_months)
    return debt_service_ratio(
        _required(values, "existing_monthly_installments"),
        installment,
        _required(values, "monthly_income"),
    )


def application_dsr(values: Mapping[str, Any], *, feature_config: FeatureConfig) -> float:
    """DSR of the loan as requested: (existing installments + new annuity) / monthly income.

    Raises ``FeatureInputError`` when income is zero or missing or another input is missing.
    """
    amount, term = _required(values, "loan_amount"), _required(values, "loan_term_months")
    return float(_dsr(values, amount, term, feature_config))


def meets_cap(dsr: float, cap: float) -> bool:
    """True when ``dsr`` is at most ``cap`` (up to ``DSR_TOLERANCE`` of float noise)."""
    return dsr <= cap + DSR_TOLERANCE


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------


class RuleResultDict(TypedDict):
    """``RuleResult.to_dict``: one rule's result as returned and recorded."""

    code: str
    kind: str
    in_force: bool
    passed: bool
    actual: float | None
    limit: float | None
    effective_from: str | None  # ISO date
    message_id: str
    message_en: str


class PolicyDict(TypedDict):
    """``PolicyOutcome.to_dict``."""

    rule_set_version: str
    decision_date: str  # ISO date
    passed: bool
    results: list[RuleResultDict]


@dataclass(frozen=True)
class RuleResult:
    """How one rule judged one application on the decision date.

    A rule not in force that day has ``in_force=False``, ``passed=True`` and no limit.
    ``actual`` is the figure compared with ``limit`` (for platforms: active + this one).
    """

    code: str
    kind: str
    in_force: bool
    passed: bool
    actual: float | None
    limit: float | None
    effective_from: date | None
    message_id: str
    message_en: str

    def to_dict(self) -> RuleResultDict:
        return {
            "code": self.code,
            "kind": str(self.kind),
            "in_force": self.in_force,
            "passed": self.passed,
            "actual": self.actual,
            "limit": self.limit,
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "message_id": self.message_id,
            "message_en": self.message_en,
        }


@dataclass(frozen=True)
class PolicyOutcome:
    """Every rule of a rule set applied to one application on ``decision_date``."""

    rule_set_version: str
    decision_date: date
    results: tuple[RuleResult, ...]

    @property
    def passed(self) -> bool:
        """True when every rule in force on the decision date passed."""
        return all(result.passed for result in self.results if result.in_force)

    @property
    def failed(self) -> tuple[RuleResult, ...]:
        return tuple(result for result in self.results if result.in_force and not result.passed)

    def to_dict(self) -> PolicyDict:
        return {
            "rule_set_version": self.rule_set_version,
            "decision_date": self.decision_date.isoformat(),
            "passed": self.passed,
            "results": [result.to_dict() for result in self.results],
        }


@dataclass(frozen=True)
class _Check:
    passed: bool
    actual: float | None
    message_id: str
    message_en: str


@dataclass(frozen=True)
class _Application:
    values: Mapping[str, Any]
    dsr: float | None  # computed only when the rule set has a DSR rule


@lru_cache(maxsize=256)
def _since(day: date, lang: str) -> str:
    if lang == "id":
        return f"yang berlaku sejak {format_date(day, 'id')}"
    return f"in force since {format_date(day, 'en')}"


def _unchecked(
    labels: tuple[str, str], limits: tuple[str, str], since: date, *, passed: bool
) -> _Check:
    """A rule whose input figure was not provided; ``labels`` and ``limits`` are (id, en)."""
    return _Check(
        passed,
        None,
        f"{labels[0]} tidak diisi, sehingga batas {limits[0]} {_since(since, 'id')} tidak "
        "dapat diperiksa",
        f"{labels[1]} not provided, so the limit of {limits[1]} {_since(since, 'en')} could "
        "not be checked",
    )


def _both(unit: Unit, value: Any) -> tuple[str, str]:
    """``value`` formatted in Indonesian and in English."""
    return format_value(unit, value, lang="id"), format_value(unit, value, lang="en")


def _percent_pairs(actual: float, limit: float) -> tuple[tuple[str, str], tuple[str, str]]:
    """Both as percentages, ``((actual_id, limit_id), (actual_en, limit_en))``, with enough
    decimals that different figures never read equal (the same decimals in both languages:
    they differ only in the separators)."""
    for decimals in (1, 2, 3, 4):
        shown_id, shown_en = format_percent_both(actual, decimals=decimals)
        cap_id, cap_en = format_percent_both(limit, decimals=decimals)
        if shown_en != cap_en or math.isclose(actual, limit, rel_tol=0, abs_tol=DSR_TOLERANCE):
            break
    return (shown_id, cap_id), (shown_en, cap_en)


def _dsr_check(dsr: float, limit: float, since: date) -> _Check:
    passed = meets_cap(dsr, limit)
    (dsr_id, cap_id), (dsr_en, cap_en) = _percent_pairs(dsr, limit)
    if passed:
        text_id = f"DSR {dsr_id} tidak melebihi batas {cap_id} {_since(since, 'id')}"
        text_en = f"DSR {dsr_en} is within the {cap_en} cap {_since(since, 'en')}"
    else:
        text_id = f"DSR {dsr_id} melebihi batas {cap_id} {_since(since, 'id')}"
        text_en = f"DSR {dsr_en} exceeds the {cap_en} cap {_since(since, 'en')}"
    return _Check(passed, dsr, text_id, text_en)


def _check_dsr(limit: float, since: date, app: _Application) -> _Check:
    assert app.dsr is not None
    return _dsr_check(app.dsr, limit, since)


def _check_platforms(limit: float, since: date, app: _Application) -> _Check:
    """Counts platforms with active loans besides this one, plus this one: passes when
    ``active + 1 <= limit``. A missing figure passes, and the message says it was missing."""
    active = app.values.get("active_lending_platforms")
    cap_id, cap_en = _both(Unit.COUNT, limit)
    if active is None:
        labels = ("Jumlah platform pinjaman aktif", "Active lending platforms")
        return _unchecked(labels, (cap_id, cap_en), since, passed=True)
    total = int(active) + 1
    passed = total <= limit
    verdict_id, verdict_en = ("dalam", "within") if passed else ("melebihi", "more than")
    return _Check(
        passed,
        float(total),
        f"Platform pinjaman termasuk pinjaman ini: {total}, {verdict_id} batas {cap_id} "
        f"{_since(since, 'id')}",
        f"Lending platforms including this loan: {total}, {verdict_en} the limit of {cap_en} "
        f"{_since(since, 'en')}",
    )


def _check_age(limit: float, since: date, app: _Application) -> _Check:
    """Age at least ``limit``, or married (a married applicant is eligible at any age)."""
    age = app.values.get("age")
    married = app.values.get("marital_status") == MARRIED
    min_id, min_en = _both(Unit.YEARS, limit)
    if age is None and not married:
        return _unchecked(("Usia", "Age"), (min_id, min_en), since, passed=False)
    age_id, age_en = _both(Unit.YEARS, age)
    rule_id = f"batas minimal {min_id} {_since(since, 'id')}"
    rule_en = f"the minimum of {min_en} {_since(since, 'en')}"
    if age is not None and age >= limit:
        return _Check(
            True, float(age), f"Usia {age_id} memenuhi {rule_id}", f"Age {age_en} meets {rule_en}"
        )
    actual = None if age is None else float(age)
    if married:
        return _Check(
            True,
            actual,
            f"Usia {age_id} di bawah {rule_id}, tetapi pemohon berstatus kawin sehingga "
            "memenuhi syarat",
            f"Age {age_en} is below {rule_en}, but a married applicant is eligible at any age",
        )
    return _Check(
        False,
        actual,
        f"Usia {age_id} di bawah {rule_id} dan pemohon tidak berstatus kawin",
        f"Age {age_en} is below {rule_en} and the applicant is not married",
    )


def _check_money(
    limit: float, since: date, amount: Any, *, minimum: bool, labels: tuple[str, str]
) -> _Check:
    """``amount`` (rupiah) against a minimum or maximum ``limit``; ``labels`` is (id, en)."""
    limit_id, limit_en = _both(Unit.RUPIAH, limit)
    if amount is None:
        return _unchecked(labels, (limit_id, limit_en), since, passed=False)
    passed = amount >= limit if minimum else amount <= limit
    value_id, value_en = _both(Unit.RUPIAH, amount)
    if minimum:
        verb_id = "memenuhi batas minimal" if passed else "di bawah batas minimal"
        verb_en = "meets the minimum of" if passed else "is below the minimum of"
    else:
        verb_id = "dalam batas maksimal" if passed else "melebihi batas maksimal"
        verb_en = "is within the maximum of" if passed else "exceeds the maximum of"
    return _Check(
        passed,
        float(amount),
        f"{labels[0]} {value_id} {verb_id} {limit_id} {_since(since, 'id')}",
        f"{labels[1]} {value_en} {verb_en} {limit_en} {_since(since, 'en')}",
    )


def _check_income(limit: float, since: date, app: _Application) -> _Check:
    income = app.values.get("monthly_income")
    labels = ("Penghasilan bulanan", "Monthly income")
    return _check_money(limit, since, income, minimum=True, labels=labels)


def _check_loan_amount(limit: float, since: date, app: _Application) -> _Check:
    amount = app.values.get("loan_amount")
    labels = ("Jumlah pinjaman", "Loan amount")
    return _check_money(limit, since, amount, minimum=False, labels=labels)


_CHECKS: dict[RuleKind, Callable[[float, date, _Application], _Check]] = {
    RuleKind.MAX_DSR: _check_dsr,
    RuleKind.MAX_PLATFORMS: _check_platforms,
    RuleKind.MIN_AGE: _check_age,
    RuleKind.MIN_INCOME: _check_income,
    RuleKind.MAX_LOAN_AMOUNT: _check_loan_amount,
}


def _not_in_force(rule: Rule, on: date) -> RuleResult:
    upcoming = rule.schedule.next_in_force_after(on)
    text_id = f"{rule.title_id}: belum berlaku pada {format_date(on, 'id')}"
    text_en = f"{rule.title_en}: not in force on {format_date(on, 'en')}"
    if upcoming is not None:
        text_id += f"; berlaku mulai {format_date(upcoming.effective_from, 'id')}"
        text_en += f"; applies from {format_date(upcoming.effective_from, 'en')}"
    return RuleResult(rule.code, str(rule.kind), False, True, None, None, None, text_id, text_en)


#: The application fields each kind of rule reads; without them the rule cannot apply.
RULE_FIELDS: dict[RuleKind, tuple[str, ...]] = {
    RuleKind.MAX_DSR: (
        "existing_monthly_installments",
        "monthly_income",
        "loan_amount",
        "loan_term_months",
    ),
    RuleKind.MAX_PLATFORMS: ("active_lending_platforms",),
    RuleKind.MIN_AGE: ("age",),
    RuleKind.MIN_INCOME: ("monthly_income",),
    RuleKind.MAX_LOAN_AMOUNT: ("loan_amount",),
}


def _not_applicable(rule: Rule, missing: Sequence[str]) -> RuleResult:
    """A rule whose fields the model's schema does not collect: reported, never failing."""
    names = ", ".join(missing)
    text_id = f"{rule.title_id}: tidak berlaku, karena kolom {names} tidak dikumpulkan"
    text_en = f"{rule.title_en}: not applicable, the field(s) {names} are not collected"
    return RuleResult(rule.code, str(rule.kind), False, True, None, None, None, text_id, text_en)


def _missing_fields(rule: Rule, collected: Collection[str] | None) -> list[str]:
    if collected is None:
        return []
    return [name for name in RULE_FIELDS[rule.kind] if name not in collected]


def _in_force_result(rule: Rule, limit: float, since: date, check: _Check) -> RuleResult:
    return RuleResult(
        code=rule.code,
        kind=str(rule.kind),
        in_force=True,
        passed=check.passed,
        actual=check.actual,
        limit=limit,
        effective_from=since,
        message_id=check.message_id,
        message_en=check.message_en,
    )


def _evaluate_rule(rule: Rule, app: _Application, on: date) -> RuleResult:
    threshold = rule.schedule.threshold_on(on)
    if threshold is None or threshold.value is None:
        return _not_in_force(rule, on)
    check = _CHECKS[rule.kind](threshold.value, threshold.effective_from, app)
    return _in_force_result(rule, threshold.value, threshold.effective_from, check)


def evaluate_policy(
    rule_set: RuleSet,
    values: Mapping[str, Any],
    *,
    on: date,
    feature_config: FeatureConfig,
    collected: Collection[str] | None = None,
) -> PolicyOutcome:
    """Apply every rule of ``rule_set`` in force on ``on`` to one cleaned application.

    ``values`` is one record as returned by ``credit_ml.schema.validate_record`` (optional
    fields may be ``None``). Every rule is reported, in rule-set order, including the ones not
    in force that day. The DSR uses the application's interest rate or the configured
    default; missing or zero income raises ``FeatureInputError`` (an input error, not a
    failed rule). ``collected``: the field names the model's schema collects (None: all);
    a rule needing a field outside it (``RULE_FIELDS``) is reported not applicable
    (``in_force`` False, ``passed`` True, a message naming the fields).
    """
    missing = {rule.code: _missing_fields(rule, collected) for rule in rule_set.rules}
    has_dsr_rule = any(
        rule.kind is RuleKind.MAX_DSR and not missing[rule.code] for rule in rule_set.rules
    )
    dsr = application_dsr(values, feature_config=feature_config) if has_dsr_rule else None
    app = _Application(values=values, dsr=dsr)
    results = tuple(
        _not_applicable(rule, missing[rule.code])
        if missing[rule.code]
        else _evaluate_rule(rule, app, on)
        for rule in rule_set.rules
    )
    return PolicyOutcome(rule_set_version=rule_set.version, decision_date=on, results=results)


# --------------------------------------------------------------------------------------
# Counteroffers
# --------------------------------------------------------------------------------------


class CounterofferDict(TypedDict):
    """``Counteroffer.to_dict``: a counteroffer as returned and recorded."""

    cap: float
    annual_interest_rate: float
    requested_amount: float
    requested_term_months: int
    requested_dsr: float
    max_amount: float | None
    max_amount_dsr: float | None
    min_term_months: int | None
    min_term_dsr: float | None


@dataclass(frozen=True)
class Counteroffer:
    """What the applicant could get within the DSR ``cap`` (a fraction).

    ``max_amount``: the largest amount at the requested term, a whole multiple of Rp 100,000
    (``None`` when existing installments already use up the cap or it would fall below the
    schema minimum). ``min_term_months``: the shortest term for the requested amount
    (``None`` when no term up to the schema maximum meets the cap). Never both ``None``.
    """

    cap: float
    annual_interest_rate: float
    requested_amount: float
    requested_term_months: int
    requested_dsr: float
    max_amount: float | None
    max_amount_dsr: float | None
    min_term_months: int | None
    min_term_dsr: float | None

    def to_dict(self) -> CounterofferDict:
        return {
            "cap": self.cap,
            "annual_interest_rate": self.annual_interest_rate,
            "requested_amount": self.requested_amount,
            "requested_term_months": self.requested_term_months,
            "requested_dsr": self.requested_dsr,
            "max_amount": self.max_amount,
            "max_amount_dsr": self.max_amount_dsr,
            "min_term_months": self.min_term_months,
            "min_term_dsr": self.min_term_dsr,
        }


def _dsr_at(values: Mapping[str, Any], amount: float, term: int, config: FeatureConfig) -> float:
    return float(_dsr(values, amount, term, config))


def _max_amount(
    values: Mapping[str, Any], *, cap: float, term: int, config: FeatureConfig, minimum: float
) -> float | None:
    """Largest multiple of ``AMOUNT_STEP`` at ``term`` whose DSR meets ``cap``, if >= minimum.

    The inverse annuity gives the exact principal; after rounding down the DSR is recomputed
    and the amount nudged by one step if float noise put it on the wrong side.
    """
    income = _required(values, "monthly_income")
    room = cap * income - _required(values, "existing_monthly_installments")
    if room <= 0:
        return None
    rate = application_rate(values, config)
    principal = float(principal_for_installment(room, rate, term))
    amount = math.floor(principal / AMOUNT_STEP) * AMOUNT_STEP
    if meets_cap(_dsr_at(values, amount + AMOUNT_STEP, term, config), cap):
        amount += AMOUNT_STEP
    while amount >= minimum and not meets_cap(_dsr_at(values, amount, term, config), cap):
        amount -= AMOUNT_STEP
    return float(amount) if amount >= minimum else None


def _min_term(
    values: Mapping[str, Any], *, cap: float, amount: float, config: FeatureConfig, maximum: int
) -> int | None:
    """Shortest whole-month term (1..maximum) whose DSR for ``amount`` meets ``cap``."""
    terms = np.arange(1, maximum + 1)
    ratios = _dsr(values, amount, terms, config)
    meeting = np.flatnonzero(ratios <= cap + DSR_TOLERANCE)
    return int(terms[meeting[0]]) if meeting.size else None


def counteroffer(
    values: Mapping[str, Any],
    *,
    cap: float,
    feature_config: FeatureConfig,
    schema: ApplicationSchema = INDONESIAN_SCHEMA,
) -> Counteroffer | None:
    """A smaller amount and/or a longer term that brings the DSR within ``cap``.

    ``None`` when the requested loan already meets the cap, or when neither a smaller amount
    (at least the schema's ``loan_amount`` minimum) nor a term up to the schema's
    ``loan_term_months`` maximum meets it. Call it only when the DSR cap is the sole failed
    rule; ``policy_counteroffer`` does that check.
    """
    amount = _required(values, "loan_amount")
    term = int(_required(values, "loan_term_months"))
    requested_dsr = _dsr_at(values, amount, term, feature_config)
    if meets_cap(requested_dsr, cap):
        return None
    minimum = schema.field("loan_amount").minimum or float(AMOUNT_STEP)
    maximum = int(schema.field("loan_term_months").maximum or 360)
    best_amount = _max_amount(values, cap=cap, term=term, config=feature_config, minimum=minimum)
    best_term = _min_term(values, cap=cap, amount=amount, config=feature_config, maximum=maximum)
    if best_amount is None and best_term is None:
        return None
    return Counteroffer(
        cap=cap,
        annual_interest_rate=application_rate(values, feature_config),
        requested_amount=amount,
        requested_term_months=term,
        requested_dsr=requested_dsr,
        max_amount=best_amount,
        max_amount_dsr=None
        if best_amount is None
        else _dsr_at(values, best_amount, term, feature_config),
        min_term_months=best_term,
        min_term_dsr=None
        if best_term is None
        else _dsr_at(values, amount, best_term, feature_config),
    )


def policy_counteroffer(
    outcome: PolicyOutcome,
    values: Mapping[str, Any],
    *,
    feature_config: FeatureConfig,
    schema: ApplicationSchema = INDONESIAN_SCHEMA,
) -> Counteroffer | None:
    """``counteroffer`` when the only rules that failed are DSR caps, else ``None``.

    The cap to meet is the tightest DSR limit in force on the decision date.
    """
    failed = outcome.failed
    if not failed or any(result.kind != RuleKind.MAX_DSR for result in failed):
        return None
    caps = [
        r.limit
        for r in outcome.results
        if r.in_force and r.kind == RuleKind.MAX_DSR and r.limit is not None
    ]
    return counteroffer(values, cap=min(caps), feature_config=feature_config, schema=schema)


# --------------------------------------------------------------------------------------
# Many applications at once
# --------------------------------------------------------------------------------------

#: What the DSR reads: ``RULE_FIELDS`` of the cap and the interest rate.
_DSR_INPUTS = (*RULE_FIELDS[RuleKind.MAX_DSR], "annual_interest_rate")

#: For the other kinds of rule, the one field whose value decides the result (with
#: ``marital_status`` for the age rule).
_DECIDING_FIELD: dict[RuleKind, str] = {
    RuleKind.MAX_PLATFORMS: "active_lending_platforms",
    RuleKind.MIN_AGE: "age",
    RuleKind.MIN_INCOME: "monthly_income",
    RuleKind.MAX_LOAN_AMOUNT: "loan_amount",
}

#: Rule results kept per evaluator (one per distinct deciding figure), at most.
_CACHE_SIZE = 65_536

#: Rounds of the one-step-down correction of ``_max_amount`` done in arrays; an amount
#: needing more (never seen: the inverse annuity is within float noise) is done alone.
_MAX_CORRECTIONS = 8


def _powers(base: FloatArray, exponent: FloatArray) -> FloatArray:
    """``np.power(base, exponent)`` element by element exactly as on one application's
    scalars.

    NumPy raises to a scalar exponent of -1, 0, 0.5, 1 or 2 by an exact shortcut (``1 / x``,
    ``x * x``...) and to any other, or to an array of exponents, in its vector kernel, which
    may differ in the last bit (a one-month term is the exponent -1). The one-application
    path raises a scalar to a scalar, so here each distinct exponent is applied as a scalar.
    """
    out = np.empty(base.shape, dtype=np.float64)
    for value in np.unique(exponent):
        rows = np.isnan(exponent) if np.isnan(value) else exponent == value
        out[rows] = np.power(base[rows], value)
    return out


def _installments(principal: FloatArray, rate: FloatArray, months: FloatArray) -> FloatArray:
    """``annuity_installment`` of each application's scalars, bit for bit, in array passes."""
    r = rate / 12.0
    with np.errstate(divide="ignore", invalid="ignore"):
        annuity = principal * r / (1.0 - _powers(1.0 + r, -months))
        return np.where(r == 0, principal / months, annuity)


def _principals(installment: FloatArray, rate: FloatArray, months: FloatArray) -> FloatArray:
    """``principal_for_installment`` of each application's scalars, bit for bit."""
    r = rate / 12.0
    with np.errstate(divide="ignore", invalid="ignore"):
        principal = installment * (1.0 - _powers(1.0 + r, -months)) / r
    return np.where(r == 0, installment * months, principal)


def _rates(columns: Mapping[str, FloatArray], size: int, config: FeatureConfig) -> FloatArray:
    """``application_rate`` of each application (NaN in the column: the rate is empty)."""
    rate = columns.get("annual_interest_rate")
    if rate is None:
        return np.full(size, config.default_annual_interest_rate, dtype=np.float64)
    return np.where(np.isnan(rate), config.default_annual_interest_rate, rate)


def _take(columns: Mapping[str, FloatArray], rows: npt.NDArray[np.intp]) -> dict[str, FloatArray]:
    return {name: column[rows] for name, column in columns.items()}


def _dsr_usable(columns: Mapping[str, FloatArray], size: int) -> BoolArray:
    """Applications whose DSR the array path computes: ``application_dsr`` raises for none.

    The DSR inputs are finite, the income positive, the term at least a month. ``columns``
    come from ``record_columns`` (NaN: the value is empty).
    """
    usable = np.ones(size, dtype=np.bool_)
    for name in RULE_FIELDS[RuleKind.MAX_DSR]:
        usable &= np.isfinite(columns[name])
    with np.errstate(invalid="ignore"):
        return usable & (columns["monthly_income"] > 0) & (columns["loan_term_months"] >= 1)


class _Figures:
    """The DSR figures of some applications (columns from ``record_columns``, all usable)."""

    def __init__(self, columns: Mapping[str, FloatArray], config: FeatureConfig) -> None:
        self.amount = columns["loan_amount"]
        self.months = columns["loan_term_months"]
        self.existing = columns["existing_monthly_installments"]
        self.income = columns["monthly_income"]
        self.rate = _rates(columns, self.amount.size, config)

    def dsr(
        self, amount: FloatArray, months: FloatArray, rows: npt.NDArray[np.intp] | None = None
    ) -> FloatArray:
        """``_dsr`` of a loan of ``amount`` over ``months`` (of ``rows``, or of all)."""
        if rows is None:
            installment = _installments(amount, self.rate, months)
            return (self.existing + installment) / self.income
        installment = _installments(amount, self.rate[rows], months)
        return (self.existing[rows] + installment) / self.income[rows]


def _counteroffers(
    records: Sequence[Mapping[str, Any]],
    columns: Mapping[str, FloatArray],
    *,
    cap: float,
    feature_config: FeatureConfig,
    schema: ApplicationSchema,
) -> list[Counteroffer | None]:
    """``counteroffer`` of each application, in array passes, bit for bit.

    ``columns`` (from ``record_columns``) are plain and ``_dsr_usable`` for every record.
    """
    n = len(records)
    figures = _Figures(columns, feature_config)
    within = cap + DSR_TOLERANCE
    term = np.trunc(figures.months)  # int(...) of a positive term
    requested = figures.dsr(figures.amount, term)
    wanted = ~(requested <= within)
    minimum = schema.field("loan_amount").minimum or float(AMOUNT_STEP)
    maximum = int(schema.field("loan_term_months").maximum or 360)
    alone = np.zeros(n, dtype=np.bool_)  # left to ``counteroffer``, one application each

    # _max_amount: the inverse annuity rounded down to the step, then corrected.
    room = cap * figures.income - figures.existing
    with np.errstate(invalid="ignore"):
        principal = _principals(room, figures.rate, term)
        fits = wanted & (room > 0)
        alone |= fits & ~(np.abs(principal) < 2.0**52)  # math.floor would fail or be inexact
    fits &= ~alone
    best = np.floor(principal / AMOUNT_STEP) * AMOUNT_STEP
    rows = np.flatnonzero(fits)
    if rows.size:
        up = figures.dsr(best[rows] + AMOUNT_STEP, term[rows], rows) <= within
        best[rows[up]] += AMOUNT_STEP
    rows = rows[best[rows] >= minimum]
    for _ in range(_MAX_CORRECTIONS):
        if not rows.size:
            break
        rows = rows[~(figures.dsr(best[rows], term[rows], rows) <= within)]
        best[rows] -= AMOUNT_STEP
        rows = rows[best[rows] >= minimum]
    alone[rows] = True
    has_amount = fits & (best >= minimum)
    amount_dsr = np.full(n, np.nan)
    rows = np.flatnonzero(has_amount)
    amount_dsr[rows] = figures.dsr(best[rows], term[rows], rows)

    # _min_term: the DSR at every term 1..maximum, each application's powers in one call
    # with a scalar base, as ``_dsr`` over ``np.arange`` raises them.
    terms = np.arange(1, maximum + 1, dtype=np.float64)
    rows = np.flatnonzero(wanted & ~alone)
    shortest = np.zeros(n, dtype=np.int64)
    term_dsr = np.full(n, np.nan)
    if rows.size:
        r = figures.rate[rows] / 12.0
        powers = np.empty((rows.size, terms.size))
        for i, base in enumerate(1.0 + r):
            np.power(base, -terms, out=powers[i])
        p = figures.amount[rows][:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            annuity = p * r[:, None] / (1.0 - powers)
            installments = np.where(r[:, None] == 0, p / terms, annuity)
        ratios = (figures.existing[rows][:, None] + installments) / figures.income[rows][:, None]
        meeting = ratios <= within
        first = np.argmax(meeting, axis=1)
        found = meeting[np.arange(rows.size), first]
        shortest[rows[found]] = first[found] + 1
        hits = rows[found]
        term_dsr[hits] = figures.dsr(figures.amount[hits], shortest[hits].astype(np.float64), hits)

    offers: list[Counteroffer | None] = [None] * n
    values = zip(
        requested.tolist(),
        best.tolist(),
        amount_dsr.tolist(),
        shortest.tolist(),
        term_dsr.tolist(),
        figures.amount.tolist(),
        term.tolist(),
        figures.rate.tolist(),
        strict=True,
    )
    for i, (dsr, amount, amount_ratio, months, months_ratio, asked, asked_term, rate) in enumerate(
        values
    ):
        if alone[i]:
            offers[i] = counteroffer(
                records[i], cap=cap, feature_config=feature_config, schema=schema
            )
            continue
        if not wanted[i] or (not has_amount[i] and not months):
            continue
        offers[i] = Counteroffer(
            cap=cap,
            annual_interest_rate=rate,
            requested_amount=asked,
            requested_term_months=int(asked_term),
            requested_dsr=dsr,
            max_amount=amount if has_amount[i] else None,
            max_amount_dsr=amount_ratio if has_amount[i] else None,
            min_term_months=months or None,
            min_term_dsr=months_ratio if months else None,
        )
    return offers


@dataclass(frozen=True)
class _Planned:
    """One rule of a rule set on the decision date: ``fixed`` is the result every
    application gets (not applicable, not in force), else ``limit`` is in force since
    ``since``."""

    rule: Rule
    fixed: RuleResult | None
    limit: float
    since: date


@dataclass(frozen=True)
class PolicyBatch:
    """``evaluate_policy`` of many applications: ``outcomes[i]`` is application ``i``'s.

    ``passed[i]`` is ``outcomes[i].passed``; ``dsr_only[i]``: failed DSR caps and nothing
    else (``policy_counteroffer`` looks for a counteroffer).
    """

    outcomes: tuple[PolicyOutcome, ...]
    passed: BoolArray
    dsr_only: BoolArray


class PolicyEvaluator:
    """``evaluate_policy`` and ``policy_counteroffer`` for many applications at once.

    What depends only on the rule set and the date (the threshold in force, the results of
    rules not in force or not applicable, "in force since ...") is worked out once; the DSR
    of all applications in array passes; a rule that compares one figure (age, platforms,
    income, amount) reuses its result for the same figure. Results equal the
    one-application functions' exactly. ``schema`` gives the counteroffer's bounds, as
    ``policy_counteroffer``'s does.

    Use: ``columns, plain = record_columns(records, evaluator.numeric_fields)``; the records
    that are plain and ``usable`` go to ``evaluate``; the others to ``evaluate_policy``
    (which raises for them when their DSR cannot be computed).
    """

    def __init__(
        self,
        rule_set: RuleSet,
        *,
        on: date,
        feature_config: FeatureConfig,
        collected: Collection[str] | None = None,
        schema: ApplicationSchema = INDONESIAN_SCHEMA,
    ) -> None:
        self.rule_set = rule_set
        self.on = on
        self.feature_config = feature_config
        self.schema = schema
        missing = {rule.code: _missing_fields(rule, collected) for rule in rule_set.rules}
        self.has_dsr = any(
            rule.kind is RuleKind.MAX_DSR and not missing[rule.code] for rule in rule_set.rules
        )
        planned = []
        for rule in rule_set.rules:
            threshold = rule.schedule.threshold_on(on)
            if missing[rule.code]:
                planned.append(_Planned(rule, _not_applicable(rule, missing[rule.code]), 0.0, on))
            elif threshold is None or threshold.value is None:
                planned.append(_Planned(rule, _not_in_force(rule, on), 0.0, on))
            else:
                planned.append(_Planned(rule, None, threshold.value, threshold.effective_from))
        self._rules = tuple(planned)
        caps = [p.limit for p in planned if p.fixed is None and p.rule.kind is RuleKind.MAX_DSR]
        #: The cap a counteroffer meets: the tightest DSR limit in force.
        self.cap = min(caps) if caps else None
        self._results: dict[tuple[Any, ...], RuleResult] = {}

    @property
    def numeric_fields(self) -> tuple[str, ...]:
        """The fields ``evaluate`` reads as numbers."""
        names = list(_DSR_INPUTS) if self.has_dsr else []
        for planned in self._rules:
            if planned.fixed is None and planned.rule.kind is not RuleKind.MAX_DSR:
                names.append(_DECIDING_FIELD[planned.rule.kind])
        return tuple(dict.fromkeys(names))

    def usable(self, columns: Mapping[str, FloatArray], size: int) -> BoolArray:
        """The plain records ``evaluate`` takes: all, unless the DSR cannot be computed."""
        if not self.has_dsr:
            return np.ones(size, dtype=np.bool_)
        return _dsr_usable(columns, size)

    def evaluate(
        self, records: Sequence[Mapping[str, Any]], columns: Mapping[str, FloatArray]
    ) -> PolicyBatch:
        """``evaluate_policy`` of every record; all of them plain and ``usable``."""
        n = len(records)
        dsrs = _Figures(columns, self.feature_config) if self.has_dsr else None
        ratios = dsrs.dsr(dsrs.amount, dsrs.months).tolist() if dsrs is not None else []
        failed_dsr = np.zeros(n, dtype=np.bool_)
        failed_other = np.zeros(n, dtype=np.bool_)
        by_rule: list[list[RuleResult]] = []
        for planned in self._rules:
            if planned.fixed is not None:
                by_rule.append([planned.fixed] * n)
                continue
            if planned.rule.kind is RuleKind.MAX_DSR:
                rule, limit, since = planned.rule, planned.limit, planned.since
                results = [
                    _in_force_result(rule, limit, since, _dsr_check(dsr, limit, since))
                    for dsr in ratios
                ]
            else:
                results = [self._compared(planned, values) for values in records]
            failed = ~np.fromiter((result.passed for result in results), np.bool_, n)
            if planned.rule.kind is RuleKind.MAX_DSR:
                failed_dsr |= failed
            else:
                failed_other |= failed
            by_rule.append(results)
        version = self.rule_set.version
        if by_rule:
            outcomes = tuple(
                PolicyOutcome(version, self.on, row) for row in zip(*by_rule, strict=True)
            )
        else:
            outcomes = (PolicyOutcome(version, self.on, ()),) * n
        return PolicyBatch(outcomes, ~(failed_dsr | failed_other), failed_dsr & ~failed_other)

    def _compared(self, planned: _Planned, values: Mapping[str, Any]) -> RuleResult:
        """The result of a rule comparing one figure, shared by the records with that figure."""
        kind = planned.rule.kind
        figure = values.get(_DECIDING_FIELD[kind])
        married = values.get("marital_status") == MARRIED if kind is RuleKind.MIN_AGE else None
        key = (planned.rule.code, type(figure), figure, married)
        try:
            return self._results[key]
        except KeyError:
            pass
        app = _Application(values=values, dsr=None)
        check = _CHECKS[kind](planned.limit, planned.since, app)
        result = _in_force_result(planned.rule, planned.limit, planned.since, check)
        if len(self._results) >= _CACHE_SIZE:
            self._results.clear()
        self._results[key] = result
        return result

    def counteroffers(
        self,
        records: Sequence[Mapping[str, Any]],
        columns: Mapping[str, FloatArray],
        batch: PolicyBatch,
    ) -> list[Counteroffer | None]:
        """``policy_counteroffer`` of every record ``evaluate`` gave ``batch``."""
        offers: list[Counteroffer | None] = [None] * len(records)
        rows = np.flatnonzero(batch.dsr_only)
        if not rows.size or self.cap is None:
            return offers
        found = _counteroffers(
            [records[i] for i in rows.tolist()],
            _take(columns, rows),
            cap=self.cap,
            feature_config=self.feature_config,
            schema=self.schema,
        )
        for i, offer in zip(rows.tolist(), found, strict=True):
            offers[i] = offer
        return offers
