"""Regulatory and lender rules as date-effective data, evaluated for applications.

A ``RuleSet`` is configuration: a named, versioned list of ``Rule`` objects, each with a
``Schedule`` of thresholds that take effect on given dates. A decision applies the threshold
in force on its decision date, and every rule is reported with the figures it compared, so
an examiner can see which limit was applied and since when. ``RuleSet.to_dict`` and
``RuleSet.from_dict`` round-trip through JSON so a rule set can be stored and recorded with
each decision. ``PolicyEvaluator`` applies a rule set on a date to many applications in
array passes, and works out counteroffers; ``evaluate_policy``, ``counteroffer`` and
``policy_counteroffer`` are it for one application. Without texts (re-deciding), each rule
is checked over the numeric columns in one array pass, and ``PolicyBatch`` gives the
results as arrays, making a ``RuleResult`` only when one is asked for.

Units: money in rupiah, DSR and caps as fractions (0.3 = 30 %), ages in years, terms in
whole months.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any, TypedDict, overload

import numpy as np
import numpy.typing as npt

from credit_ml.features import (
    BoolArray,
    FeatureConfig,
    FeatureInputError,
    FloatArray,
    record_columns,
    require_income,
    require_term,
)
from credit_ml.formatting import (
    format_date,
    format_number,
    format_percent_both,
    format_value,
)
from credit_ml.memo import IdentityMemo
from credit_ml.scaling import DecisionThresholds
from credit_ml.schema import INDONESIAN_SCHEMA, ApplicationSchema, Unit

#: A DSR this close above the cap still meets it: absorbs floating-point noise only
#: (1e-9 of Rp 10,000,000 income is a hundredth of a rupiah).
DSR_TOLERANCE = 1e-9

#: Counteroffer amounts are whole multiples of this many rupiah, rounded down.
AMOUNT_STEP = 100_000

FINTECH_SOURCE = "POJK 40/2024; SEOJK 19/SEOJK.06/2025"
FINTECH_VERSION = "fintech-2026.1"
BANK_VERSION = "bank-2026.1"
#: The built-in versions that say what a rule that could not be checked leads to
#: (``Unchecked``): fintech sends it to REVIEW, the bank set lets it pass.
FINTECH_VERSION_2 = "fintech-2026.2"
BANK_VERSION_2 = "bank-2026.2"
#: The longest counteroffer term of those versions: fintech (LPBBTI) consumer loans are
#: short (the OJK cost caps are tiered at 6 months; platforms lend for up to about two
#: years), so 24 months; a bank's consumer and mortgage loans, 30 years.
FINTECH_MAX_TERM_MONTHS = 24
BANK_MAX_TERM_MONTHS = 360
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


class RuleState(StrEnum):
    """How a rule judged an application: ``passed`` or ``failed`` on its figure,
    ``not_checked`` when the figure was not provided, ``not_in_force`` on the decision date
    (or not applicable: the model's schema does not collect its fields)."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_CHECKED = "not_checked"
    NOT_IN_FORCE = "not_in_force"


class Unchecked(StrEnum):
    """What a rule in force that could not be checked leads to: the decision is at least
    REVIEW, the rule passes, or it fails (REJECT). A stored rule set without the setting
    (the versions before it existed) keeps the old meaning: a missing platform count passes,
    a missing age, income or amount fails."""

    REVIEW = "review"
    PASS = "pass"  # noqa: S105 (not a password)
    REJECT = "reject"


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
    #: Overrides the rule set's ``unchecked`` for this rule; ``None``: the rule set's.
    unchecked: Unchecked | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
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
        if self.unchecked is not None:  # absent in the versions stored before the setting
            data["unchecked"] = str(self.unchecked)
        return data

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
            unchecked=_unchecked_setting(data),
        )


def _whole_or_none(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"max_term_months must be a whole number of months, not {value!r}.")
    if int(value) != value:
        raise ValueError(f"max_term_months must be a whole number of months, not {value!r}.")
    return int(value)


def _thresholds_or_none(value: Any) -> DecisionThresholds | None:
    return None if value is None else DecisionThresholds.from_dict(value)


def _unchecked_setting(data: Mapping[str, Any]) -> Unchecked | None:
    value = data.get("unchecked")
    return None if value is None else Unchecked(value)


@dataclass(frozen=True)
class RuleSet:
    """A named, versioned rule set ("fintech", "bank", or a lender's own); codes are unique."""

    name: str
    version: str
    rules: tuple[Rule, ...]
    #: What a rule that could not be checked leads to (``Unchecked``); ``None``: the old
    #: meaning, kept for the versions stored before the setting so they replay identically.
    unchecked: Unchecked | None = None
    #: The longest term a counteroffer may propose, in months (the schema's maximum stays
    #: the outer bound); ``None``: the schema's maximum, as before the setting existed.
    max_term_months: int | None = None
    #: Whether failed (or not checked) rules come first among a decision's reasons, with
    #: their figures; ``False``: the model's factors only, as the versions stored before the
    #: setting decided, so that their decisions replay identically.
    rule_reasons: bool = False
    #: The PD cut-offs of the model's decision under this rule set (APPROVE below
    #: ``approve_below``, REJECT from ``reject_from``); ``None``: the model version's own,
    #: as every version stored before the setting decided.
    pd_thresholds: DecisionThresholds | None = None

    def __post_init__(self) -> None:
        codes = [rule.code for rule in self.rules]
        if len(set(codes)) != len(codes):
            raise ValueError(f"Rule codes must be unique in rule set {self.version!r}.")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form; ``RuleSet.from_dict`` restores an equal rule set."""
        data: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "rules": [rule.to_dict() for rule in self.rules],
        }
        if self.unchecked is not None:  # absent in the versions stored before the setting
            data["unchecked"] = str(self.unchecked)
        if self.max_term_months is not None:  # likewise
            data["max_term_months"] = self.max_term_months
        if self.rule_reasons:  # likewise
            data["rule_reasons"] = True
        if self.pd_thresholds is not None:  # likewise
            data["pd_thresholds"] = self.pd_thresholds.to_dict()
        return data

    def unchecked_for(self, rule: Rule) -> Unchecked | None:
        """What ``rule`` not being checked leads to: its own setting, else the set's."""
        return rule.unchecked or self.unchecked

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSet:
        """Rebuild a rule set from ``to_dict`` output; malformed input is a ``ValueError``."""
        try:
            rules = tuple(Rule.from_dict(item) for item in data["rules"])
            return cls(
                name=str(data["name"]),
                version=str(data["version"]),
                rules=rules,
                unchecked=_unchecked_setting(data),
                max_term_months=_whole_or_none(data.get("max_term_months")),
                rule_reasons=data.get("rule_reasons", False) is True,
                pd_thresholds=_thresholds_or_none(data.get("pd_thresholds")),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"Malformed rule set: {exc!r}") from exc


def _schedule(*steps: tuple[date, float | None]) -> Schedule:
    return Schedule(tuple(Threshold(day, value) for day, value in steps))


def fintech_rule_set(
    version: str = FINTECH_VERSION,
    *,
    unchecked: Unchecked | None = None,
    max_term_months: int | None = None,
    rule_reasons: bool = False,
) -> RuleSet:
    """OJK rules for fintech lending (LPBBTI) under POJK 40/2024 and SEOJK 19/SEOJK.06/2025.

    Repayment-to-income cap 50 % (2024), 40 % (2025), 30 % (from 2026); at most 3 lending
    platforms including this one; age 18+ or married; monthly income at least Rp 3,000,000
    from 2027-01-01; funding at most Rp 2,000,000,000 per borrower. Without arguments:
    ``fintech-2026.1`` as stored in 2026 (no ``unchecked`` setting); ``fintech_rule_set_2``
    is the current version.
    """
    return RuleSet(
        name="fintech",
        version=version,
        unchecked=unchecked,
        max_term_months=max_term_months,
        rule_reasons=rule_reasons,
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


def fintech_rule_set_2() -> RuleSet:
    """``fintech-2026.2``: the OJK rules of ``fintech_rule_set``, where a rule in force that
    could not be checked (say no ``active_lending_platforms``) makes the decision REVIEW,
    and a counteroffer proposes at most ``FINTECH_MAX_TERM_MONTHS``."""
    return fintech_rule_set(
        FINTECH_VERSION_2,
        unchecked=Unchecked.REVIEW,
        max_term_months=FINTECH_MAX_TERM_MONTHS,
        rule_reasons=True,
    )


def bank_rule_set(
    max_dsr: float = 0.35,
    *,
    effective_from: date = RULES_START,
    version: str = BANK_VERSION,
    unchecked: Unchecked | None = None,
    max_term_months: int | None = None,
    rule_reasons: bool = False,
) -> RuleSet:
    """A bank's own DSR limit (banks have no statutory DSR cap for consumer loans).

    The limit is part of the version ("bank-2026.1-dsr35"), so two banks' sets with
    different limits never share a version string. ``version=BANK_VERSION_2`` with
    ``unchecked=Unchecked.PASS`` is the current built-in bank set.
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
    return RuleSet(
        name="bank",
        version=f"{version}-dsr{percent}",
        rules=(rule,),
        unchecked=unchecked,
        max_term_months=max_term_months,
        rule_reasons=rule_reasons,
    )


def bank_rule_set_2(max_dsr: float = 0.35) -> RuleSet:
    """``bank-2026.2-dsr<limit>``: ``bank_rule_set`` where a DSR that could not be computed
    is an input error as before, and any rule not checked passes (``Unchecked.PASS``)."""
    return bank_rule_set(
        max_dsr,
        version=BANK_VERSION_2,
        unchecked=Unchecked.PASS,
        max_term_months=BANK_MAX_TERM_MONTHS,
        rule_reasons=True,
    )


# --------------------------------------------------------------------------------------
# The debt service ratio
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


#: One application's DSR inputs: amount, term, annual rate, existing installments, income.
_Inputs = tuple[float, float, float, float, float]


def _dsr_inputs(values: Mapping[str, Any], config: FeatureConfig, *, whole_term: bool) -> _Inputs:
    """One application's DSR inputs, read and checked in the order the DSR needs them: the
    first that is missing or impossible raises ``FeatureInputError`` (zero or missing income
    is an input error, not an infinite DSR); a value ``float`` cannot read raises its own
    error. ``whole_term``: the term in whole months (``int``), as a counteroffer takes it."""
    amount = _required(values, "loan_amount")
    months = _required(values, "loan_term_months")
    if whole_term:
        months = float(int(months))
    rate = application_rate(values, config)
    require_term(months)
    existing = _required(values, "existing_monthly_installments")
    income = _required(values, "monthly_income")
    require_income(income)
    return amount, months, rate, existing, income


@overload
def meets_cap(dsr: float, cap: float) -> bool: ...
@overload
def meets_cap(dsr: FloatArray, cap: float) -> BoolArray: ...
def meets_cap(dsr: float | FloatArray, cap: float) -> bool | BoolArray:
    """True when ``dsr`` is at most ``cap`` (up to ``DSR_TOLERANCE`` of float noise); of
    each DSR of an array, the same IEEE comparison with the same ``cap + DSR_TOLERANCE``
    (NaN never meets it)."""
    return dsr <= cap + DSR_TOLERANCE


def _powers(base: FloatArray, exponent: FloatArray) -> FloatArray:
    """``np.power(base, exponent)`` element by element, each distinct exponent applied as a
    scalar.

    NumPy raises to a scalar exponent of -1, 0, 0.5, 1 or 2 by an exact shortcut (``1 / x``,
    ``x * x``...) and to any other, or to an array of exponents, in its vector kernel, which
    may differ in the last bits (a one-month term is the exponent -1). The DSR of the rules
    has always raised scalars to scalars, so it keeps doing so, array or not.
    """
    if exponent.size and (exponent == exponent[0]).all():  # one exponent (not NaN)
        powers: FloatArray = np.power(base, exponent[0])
        return powers
    out = np.empty(base.shape, dtype=np.float64)
    for value in np.unique(exponent):
        rows = np.isnan(exponent) if np.isnan(value) else exponent == value
        out[rows] = np.power(base[rows], value)
    return out


def _installments(principal: FloatArray, rate: FloatArray, months: FloatArray) -> FloatArray:
    """The annuity installment (``features.annuity_installment``) with ``_powers``.

    Kept beside ``annuity_installment`` (which the derived model features use, its powers
    in the vector kernel) because the two round a one-month term's power differently, by a
    few ulps: merging them would change either recorded DSRs or the model's inputs. (The
    callers silence NumPy's float warnings: a zero rate divides by zero, then is replaced.)
    """
    r = rate / 12.0
    annuity = principal * r / (1.0 - _powers(1.0 + r, -months))
    return np.where(r == 0, principal / months, annuity)


def _principals(installment: FloatArray, rate: FloatArray, months: FloatArray) -> FloatArray:
    """The inverse annuity (``features.principal_for_installment``) with ``_powers`` (the
    caller silences float warnings)."""
    r = rate / 12.0
    principal = installment * (1.0 - _powers(1.0 + r, -months)) / r
    return np.where(r == 0, installment * months, principal)


class _Figures:
    """The DSR inputs of some applications as float64 columns (``_dsr_inputs`` of each)."""

    def __init__(
        self,
        amount: FloatArray,
        months: FloatArray,
        rate: FloatArray,
        existing: FloatArray,
        income: FloatArray,
    ) -> None:
        self.amount = amount
        self.months = months
        self.rate = rate
        self.existing = existing
        self.income = income

    @classmethod
    def read(
        cls,
        records: Sequence[Mapping[str, Any]],
        columns: Mapping[str, FloatArray],
        plain: BoolArray,
        config: FeatureConfig,
        *,
        whole_term: bool = False,
    ) -> tuple[_Figures, dict[int, Exception]]:
        """The figures of ``records`` from their ``record_columns`` (names including
        ``_DSR_INPUTS``), and by position the error of each application whose inputs
        ``_dsr_inputs`` refuses. Plain, complete and possible inputs are taken as read; the
        other applications' are read one by one by ``_dsr_inputs``."""
        names = ("loan_amount", "loan_term_months", "existing_monthly_installments")
        block = np.stack([columns[name] for name in (*names, "monthly_income")])
        amount, months, existing, income = block  # rows of a copy, patched below
        rate = columns["annual_interest_rate"]
        rate = np.where(np.isnan(rate), config.default_annual_interest_rate, rate)
        if whole_term:
            np.trunc(months, out=months)
        with np.errstate(invalid="ignore"):
            odd = ~(plain & np.isfinite(block).all(axis=0) & (months >= 1) & (income > 0))
        errors: dict[int, Exception] = {}
        for i in np.flatnonzero(odd).tolist():
            try:
                inputs = _dsr_inputs(records[i], config, whole_term=whole_term)
            except Exception as exc:  # what this application's DSR raises
                errors[i] = exc
                continue
            amount[i], months[i], rate[i], existing[i], income[i] = inputs
        return cls(amount, months, rate, existing, income), errors

    def take(self, rows: npt.NDArray[np.intp]) -> _Figures:
        return _Figures(
            self.amount[rows],
            self.months[rows],
            self.rate[rows],
            self.existing[rows],
            self.income[rows],
        )

    def dsr(
        self, amount: FloatArray, months: FloatArray, rows: npt.NDArray[np.intp] | None = None
    ) -> FloatArray:
        """(existing + the installment of ``amount`` over ``months``) / income, of ``rows``
        or of all (an application ``read`` refused gives some number, never looked at)."""
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if rows is None:
                installment = _installments(amount, self.rate, months)
                return (self.existing + installment) / self.income
            installment = _installments(amount, self.rate[rows], months)
            return (self.existing[rows] + installment) / self.income[rows]


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------


class RuleResultDict(TypedDict):
    """``RuleResult.to_dict``: one rule's result as returned and recorded."""

    code: str
    kind: str
    state: str  # RuleState: passed, failed, not_checked, not_in_force
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
    ``state`` (``RuleState``) says which of the four it was; left empty it follows from
    ``in_force`` and ``passed``. A rule that could not be checked has ``not_checked`` and
    ``passed`` as the rule set's ``Unchecked`` setting says; ``review`` when that setting
    makes the decision at least REVIEW (then ``passed`` is True).
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
    state: str = ""
    review: bool = False

    def __post_init__(self) -> None:
        if not self.state:
            state = RuleState.PASSED if self.passed else RuleState.FAILED
            object.__setattr__(
                self, "state", str(state if self.in_force else RuleState.NOT_IN_FORCE)
            )

    def to_dict(self) -> RuleResultDict:
        return {
            "code": self.code,
            "kind": str(self.kind),
            "state": self.state,
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

    @property
    def review(self) -> bool:
        """True when a rule in force could not be checked and its rule set says REVIEW."""
        return any(result.review for result in self.results)

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
    checked: bool = True  # False: the figure was not provided


@lru_cache(maxsize=256)
def _since(day: date, lang: str) -> str:
    if lang == "id":
        return f"yang berlaku sejak {format_date(day, 'id')}"
    return f"in force since {format_date(day, 'en')}"


#: A check's texts when the caller does not want them (``PolicyEvaluator.evaluate``).
_NO_TEXTS = ("", "")


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
        checked=False,
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


#: The compared kinds whose limit is a minimum; the others' is a maximum.
_MINIMA = frozenset({RuleKind.MIN_AGE, RuleKind.MIN_INCOME})


@overload
def _meets(kind: RuleKind, figure: float, limit: float) -> bool: ...
@overload
def _meets(kind: RuleKind, figure: FloatArray, limit: float) -> BoolArray: ...
def _meets(kind: RuleKind, figure: float | FloatArray, limit: float) -> bool | BoolArray:
    """Whether ``figure`` is within the limit of a rule comparing one figure: at least a
    minimum, at most a maximum. The one comparison of the checks below and of their array
    form (``_check_columns``); NaN never meets a limit."""
    return figure >= limit if kind in _MINIMA else figure <= limit


def _check_platforms(
    limit: float, since: date, values: Mapping[str, Any], texts: bool = True
) -> _Check:
    """Counts platforms with active loans besides this one, plus this one: passes when
    ``active + 1 <= limit``. A missing figure passes, and the message says it was missing.
    ``texts=False``: the same check without its messages (so for every check below)."""
    active = values.get("active_lending_platforms")
    if active is None and not texts:
        return _Check(True, None, *_NO_TEXTS, checked=False)
    cap_id, cap_en = _both(Unit.COUNT, limit) if texts else _NO_TEXTS
    if active is None:
        labels = ("Jumlah platform pinjaman aktif", "Active lending platforms")
        return _unchecked(labels, (cap_id, cap_en), since, passed=True)
    total = int(active) + 1
    passed = _meets(RuleKind.MAX_PLATFORMS, total, limit)
    if not texts:
        return _Check(passed, float(total), *_NO_TEXTS)
    verdict_id, verdict_en = ("dalam", "within") if passed else ("melebihi", "more than")
    return _Check(
        passed,
        float(total),
        f"Platform pinjaman termasuk pinjaman ini: {total}, {verdict_id} batas {cap_id} "
        f"{_since(since, 'id')}",
        f"Lending platforms including this loan: {total}, {verdict_en} the limit of {cap_en} "
        f"{_since(since, 'en')}",
    )


def _check_age(limit: float, since: date, values: Mapping[str, Any], texts: bool = True) -> _Check:
    """Age at least ``limit``, or married (a married applicant is eligible at any age)."""
    age = values.get("age")
    married = values.get("marital_status") == MARRIED
    if not texts:
        if age is None and not married:
            return _Check(False, None, *_NO_TEXTS, checked=False)
        meets = age is not None and _meets(RuleKind.MIN_AGE, age, limit)
        return _Check(meets or married, None if age is None else float(age), *_NO_TEXTS)
    min_id, min_en = _both(Unit.YEARS, limit)
    if age is None and not married:
        return _unchecked(("Usia", "Age"), (min_id, min_en), since, passed=False)
    age_id, age_en = _both(Unit.YEARS, age)
    rule_id = f"batas minimal {min_id} {_since(since, 'id')}"
    rule_en = f"the minimum of {min_en} {_since(since, 'en')}"
    if age is not None and _meets(RuleKind.MIN_AGE, age, limit):
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
    limit: float,
    since: date,
    amount: Any,
    *,
    kind: RuleKind,
    labels: tuple[str, str],
    texts: bool = True,
) -> _Check:
    """``amount`` (rupiah) against the minimum or maximum ``limit`` of a ``kind`` of rule;
    ``labels`` is (id, en)."""
    if amount is None and not texts:
        return _Check(False, None, *_NO_TEXTS, checked=False)
    limit_id, limit_en = _both(Unit.RUPIAH, limit) if texts else _NO_TEXTS
    if amount is None:
        return _unchecked(labels, (limit_id, limit_en), since, passed=False)
    passed = _meets(kind, amount, limit)
    if not texts:
        return _Check(passed, float(amount), *_NO_TEXTS)
    value_id, value_en = _both(Unit.RUPIAH, amount)
    if kind in _MINIMA:
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


def _check_income(
    limit: float, since: date, values: Mapping[str, Any], texts: bool = True
) -> _Check:
    income = values.get("monthly_income")
    labels = ("Penghasilan bulanan", "Monthly income")
    return _check_money(limit, since, income, kind=RuleKind.MIN_INCOME, labels=labels, texts=texts)


def _check_loan_amount(
    limit: float, since: date, values: Mapping[str, Any], texts: bool = True
) -> _Check:
    amount = values.get("loan_amount")
    labels = ("Jumlah pinjaman", "Loan amount")
    return _check_money(
        limit, since, amount, kind=RuleKind.MAX_LOAN_AMOUNT, labels=labels, texts=texts
    )


_CHECKS: dict[RuleKind, Callable[[float, date, Mapping[str, Any], bool], _Check]] = {
    RuleKind.MAX_PLATFORMS: _check_platforms,
    RuleKind.MIN_AGE: _check_age,
    RuleKind.MIN_INCOME: _check_income,
    RuleKind.MAX_LOAN_AMOUNT: _check_loan_amount,
}

#: The field whose value decides each of those rules (with ``marital_status`` for age).
_DECIDING_FIELD: dict[RuleKind, str] = {
    RuleKind.MAX_PLATFORMS: "active_lending_platforms",
    RuleKind.MIN_AGE: "age",
    RuleKind.MIN_INCOME: "monthly_income",
    RuleKind.MAX_LOAN_AMOUNT: "loan_amount",
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


def _in_force_result(
    rule: Rule, limit: float, since: date, check: _Check, unchecked: Unchecked | None = None
) -> RuleResult:
    """``check`` as a result; one not checked passes, fails or asks for REVIEW as
    ``unchecked`` says (``None``: as the check decided, the old meaning)."""
    passed, state, review = check.passed, "", False
    if not check.checked:
        state = str(RuleState.NOT_CHECKED)
        passed, review = _unchecked_verdict(unchecked, passed)
    return RuleResult(
        code=rule.code,
        kind=str(rule.kind),
        state=state,
        review=review,
        in_force=True,
        passed=passed,
        actual=check.actual,
        limit=limit,
        effective_from=since,
        message_id=check.message_id,
        message_en=check.message_en,
    )


def _unchecked_verdict(unchecked: Unchecked | None, passed: bool) -> tuple[bool, bool]:
    """``passed`` and ``review`` of a rule that could not be checked, whose check gave
    ``passed``: as ``unchecked`` says (``None``: as the check decided, the old meaning)."""
    if unchecked is None:
        return passed, False
    return unchecked is not Unchecked.REJECT, unchecked is Unchecked.REVIEW


#: What the DSR reads: ``RULE_FIELDS`` of the cap and the interest rate.
_DSR_INPUTS = (*RULE_FIELDS[RuleKind.MAX_DSR], "annual_interest_rate")

#: Rule results kept per evaluator (one per distinct deciding figure), at most: evaluators
#: are reused from request to request (``policy_evaluator``), so this bounds their memory.
_CACHE_SIZE = 8_192


@dataclass(frozen=True)
class _Planned:
    """One rule of a rule set on the decision date: ``fixed`` is the result every
    application gets (not applicable, not in force), else ``limit`` is in force since
    ``since``."""

    rule: Rule
    fixed: RuleResult | None
    limit: float
    since: date
    unchecked: Unchecked | None = None


@dataclass(frozen=True)
class _CheckColumns:
    """``_Check`` without texts of many applications, as arrays: ``actual`` is NaN where
    ``present`` is False (the check's ``None``)."""

    passed: BoolArray
    checked: BoolArray
    actual: FloatArray
    present: BoolArray


#: From this magnitude on float64 does not hold every whole number: a platform count there
#: is checked one by one (``int`` of it plus one, as ``_check_platforms`` counts).
_EXACT_WHOLE = 2.0**53


def _check_columns(
    kind: RuleKind, limit: float, figure: FloatArray, married: BoolArray | None
) -> _CheckColumns:
    """``_CHECKS[kind]`` without texts of many applications whose deciding ``figure`` was
    read plain (``record_columns``: NaN where ``None``); for age, whether each is
    ``married``. A platform count must be below ``_EXACT_WHOLE``. Equal to the check of each
    application (``tests/ml/test_policy_columns.py``)."""
    present = ~np.isnan(figure)
    if kind is RuleKind.MAX_PLATFORMS:
        total = np.trunc(figure) + 1.0  # int(active) + 1, exactly, below 2**53
        return _CheckColumns(~present | _meets(kind, total, limit), present, total, present)
    passed = _meets(kind, figure, limit)  # a missing figure (NaN) meets no limit
    if kind is RuleKind.MIN_AGE:
        assert married is not None
        return _CheckColumns(passed | married, present | married, figure, present)
    return _CheckColumns(passed, present, figure, present)


def _married(records: Sequence[Mapping[str, Any]]) -> tuple[BoolArray, BoolArray]:
    """Whether each application's ``marital_status`` is ``MARRIED``, and which have a status
    that is neither a ``str`` nor ``None`` (compared one by one, as ``_check_age`` does)."""
    statuses = [values.get("marital_status") for values in records]
    n = len(statuses)
    if set(map(type, statuses)) <= _STATUS_TYPES:  # the usual: one comparison in C
        married: BoolArray = np.array(statuses, dtype=object) == MARRIED
        return married.astype(np.bool_), np.zeros(n, dtype=np.bool_)
    married = np.fromiter((type(s) is str and s == MARRIED for s in statuses), np.bool_, n)
    odd = np.fromiter((s is not None and type(s) is not str for s in statuses), np.bool_, n)
    return married, odd


_STATUS_TYPES = frozenset({str, type(None)})


@dataclass(frozen=True)
class _RuleColumn:
    """One rule's results for every application of a batch: whether each ``passed`` and
    asks for ``review`` (the ``RuleResult`` fields), by position; ``result(i)`` is
    application ``i``'s ``RuleResult``, made when it is asked for. ``limit``: the limit in
    force; ``in_force`` False (not in force, not applicable) gives every application the
    same result."""

    code: str
    kind: RuleKind
    in_force: bool
    limit: float | None
    passed: BoolArray
    review: BoolArray
    result: Callable[[int], RuleResult]

    @classmethod
    def fixed(cls, planned: _Planned, n: int) -> _RuleColumn:
        fixed = planned.fixed
        assert fixed is not None
        return cls(
            planned.rule.code,
            planned.rule.kind,
            fixed.in_force,
            fixed.limit,
            np.full(n, fixed.passed, dtype=np.bool_),
            np.full(n, fixed.review, dtype=np.bool_),
            lambda i: fixed,
        )

    @classmethod
    def listed(cls, planned: _Planned, results: list[RuleResult]) -> _RuleColumn:
        """From each application's result (``_NO_RESULT`` where it has an error)."""
        n = len(results)
        return cls(
            planned.rule.code,
            planned.rule.kind,
            True,
            planned.limit,
            np.fromiter((r.passed for r in results), np.bool_, n),
            np.fromiter((r.review for r in results), np.bool_, n),
            results.__getitem__,
        )

    @classmethod
    def bare(
        cls, planned: _Planned, checks: _CheckColumns, made: Mapping[int, RuleResult]
    ) -> _RuleColumn:
        """From the checks without texts of the applications (``made``: the results of
        those checked one by one), as ``_in_force_result`` makes each result."""
        # What a check that could not be done gives, when it failed and when it passed.
        (fail_passed, fail_review), (pass_passed, pass_review) = (
            _unchecked_verdict(planned.unchecked, verdict) for verdict in (False, True)
        )
        checked, verdicts = checks.checked, checks.passed
        unchecked = np.where(verdicts, pass_passed, fail_passed)
        passed = np.where(checked, verdicts, unchecked)
        review = ~checked & np.where(verdicts, pass_review, fail_review)
        for i, one in made.items():
            passed[i], review[i] = one.passed, one.review

        def result(i: int) -> RuleResult:
            if i in made:
                return made[i]
            actual = float(checks.actual[i]) if checks.present[i] else None
            check = _Check(bool(verdicts[i]), actual, *_NO_TEXTS, checked=bool(checked[i]))
            return _in_force_result(
                planned.rule, planned.limit, planned.since, check, planned.unchecked
            )

        rule = planned.rule
        return cls(rule.code, rule.kind, True, planned.limit, passed, review, result)


@dataclass(frozen=True)
class PolicyBatch:
    """The rules applied to many applications: ``outcomes[i]`` is application ``i``'s, or
    ``None`` when ``errors[i]`` is what evaluating it raises (``FeatureInputError`` for a
    missing or impossible DSR input, say). ``figures``: their DSR inputs, when a DSR rule
    applies.

    ``rules`` holds each rule's results in rule-set order as arrays (``_RuleColumn``);
    ``outcomes`` are made from them when first asked for. Re-deciding reads the arrays
    instead (``passed``, ``review``, ``failed_codes``, ``reason_codes``,
    ``counteroffer_rows``): each gives what the outcomes give, for every application
    without an error (what it gives the others means nothing).
    """

    rule_set_version: str
    decision_date: date
    size: int
    rules: tuple[_RuleColumn, ...]
    errors: Mapping[int, Exception]
    figures: _Figures | None

    @cached_property
    def outcomes(self) -> tuple[PolicyOutcome | None, ...]:
        return tuple(
            None
            if i in self.errors
            else PolicyOutcome(
                self.rule_set_version,
                self.decision_date,
                tuple(rule.result(i) for rule in self.rules),
            )
            for i in range(self.size)
        )

    @cached_property
    def passed(self) -> BoolArray:
        """``PolicyOutcome.passed`` of each application."""
        passed = np.ones(self.size, dtype=np.bool_)
        for rule in self.rules:
            if rule.in_force:
                passed &= rule.passed
        return passed

    @cached_property
    def review(self) -> BoolArray:
        """``PolicyOutcome.review`` of each application."""
        review = np.zeros(self.size, dtype=np.bool_)
        for rule in self.rules:
            review |= rule.review
        return review

    def failed_codes(self) -> list[tuple[str, ...]]:
        """The codes of the rules each application did not pass, in rule-set order (the
        results ``Decision.failed_rules`` names)."""
        return self._codes_where([~rule.passed for rule in self.rules])

    def reason_codes(self) -> list[tuple[str, ...]]:
        """The codes of the rules that give each application a reason, in rule-set order:
        those that failed in force or ask for REVIEW (``reasons._reason_rules``)."""
        return self._codes_where(
            [rule.review | (~rule.passed & rule.in_force) for rule in self.rules]
        )

    def _codes_where(self, marks: Sequence[BoolArray]) -> list[tuple[str, ...]]:
        """Each application's codes of the rules ``marks`` marks it for (rules x rows)."""
        if not self.rules or not self.size:
            return [()] * self.size
        patterns, which = np.unique(np.stack(marks), axis=1, return_inverse=True)
        codes = [rule.code for rule in self.rules]
        named = [
            tuple(code for code, hit in zip(codes, pattern, strict=True) if hit)
            for pattern in patterns.T.tolist()
        ]
        return [named[k] for k in which.reshape(-1).tolist()]

    def counteroffer_rows(self) -> tuple[float, npt.NDArray[np.intp]] | None:
        """``counteroffer_cap`` of every outcome at once: the tightest DSR limit in force, and
        the applications without an error whose only failed rules are DSR caps (those that
        get a counteroffer, if one meets the cap); ``None`` when no DSR cap is in force."""
        caps = [
            rule.limit
            for rule in self.rules
            if rule.in_force and rule.kind == RuleKind.MAX_DSR and rule.limit is not None
        ]
        if not caps:
            return None
        failed = np.zeros(self.size, dtype=np.bool_)
        other = np.zeros(self.size, dtype=np.bool_)
        for rule in self.rules:
            if rule.in_force:
                failed |= ~rule.passed
                if rule.kind != RuleKind.MAX_DSR:
                    other |= ~rule.passed
        wanted = failed & ~other
        wanted[list(self.errors)] = False
        return min(caps), np.flatnonzero(wanted)


class PolicyEvaluator:
    """A rule set applied on one date, to one application or many at once.

    What depends only on the rule set and the date (the threshold in force, the results of
    rules not in force or not applicable, "in force since ...") is worked out once; the DSR
    of all applications in array passes. With texts, a rule that compares one figure (age,
    platforms, income, amount) reuses its result for the same figure; without, it compares
    all applications' figures in one array pass. ``collected``: the field names
    the model's schema collects (None: all); a rule needing a field outside it
    (``RULE_FIELDS``) is reported not applicable. ``schema`` gives a counteroffer's bounds.
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
                since = threshold.effective_from
                unchecked = rule_set.unchecked_for(rule)
                planned.append(_Planned(rule, None, threshold.value, since, unchecked))
        self._rules = tuple(planned)
        self._results: dict[tuple[Any, ...], RuleResult] = {}

    @cached_property
    def numeric_fields(self) -> tuple[str, ...]:
        """The fields ``evaluate`` reads as numbers: the DSR inputs when a DSR rule applies,
        and the figure each rule in force compares (age, platforms, income, amount)."""
        compared = (
            _DECIDING_FIELD[planned.rule.kind]
            for planned in self._rules
            if planned.fixed is None and planned.rule.kind is not RuleKind.MAX_DSR
        )
        dsr = _DSR_INPUTS if self.has_dsr else ()
        return tuple(dict.fromkeys((*dsr, *compared)))

    def evaluate(
        self,
        records: Sequence[Mapping[str, Any]],
        *,
        columns: Mapping[str, FloatArray] | None = None,
        plain: BoolArray | None = None,
        texts: bool = True,
    ) -> PolicyBatch:
        """Every rule of the rule set, in rule-set order, applied to each cleaned application
        (``validate_record`` output; optional fields may be ``None``), including the rules
        not in force that day.

        The DSR uses the application's interest rate or the configured default. An
        application whose DSR cannot be computed (zero or missing income, a term under a
        month, a missing input) gets its ``FeatureInputError`` in ``errors`` instead of an
        outcome, as does one that a rule cannot compare (its own error). ``columns`` and
        ``plain``: ``record_columns(records, names)`` for names including
        ``numeric_fields``, to save reading them again (a name missing is read here).
        ``texts=False``: the results of the rules in force carry no messages (the DSR's and
        the compared figures' would each need their own), for re-deciding without
        explanations; every other field is the same. Each rule is then checked over the
        columns in one array pass, and an application whose figures were not read plain
        one by one, as with texts.
        """
        n = len(records)
        columns, plain = self._columns(records, columns, plain)
        figures, errors = (
            _Figures.read(records, columns, plain, self.feature_config)
            if self.has_dsr
            else (None, {})
        )
        ratios = np.empty(0) if figures is None else figures.dsr(figures.amount, figures.months)
        listed = ratios.tolist() if texts else []
        rules = []
        for planned in self._rules:
            if planned.fixed is not None:
                rules.append(_RuleColumn.fixed(planned, n))
            elif texts:
                rules.append(
                    _RuleColumn.listed(planned, self._listed(planned, records, listed, errors))
                )
            else:
                rules.append(self._bare(planned, records, columns, plain, ratios, errors))
        return PolicyBatch(self.rule_set.version, self.on, n, tuple(rules), errors, figures)

    def _columns(
        self,
        records: Sequence[Mapping[str, Any]],
        columns: Mapping[str, FloatArray] | None,
        plain: BoolArray | None,
    ) -> tuple[Mapping[str, FloatArray], BoolArray]:
        """``columns`` and ``plain`` with every one of ``numeric_fields``, read if missing."""
        if columns is None or plain is None:
            return record_columns(records, self.numeric_fields)
        unread = [name for name in self.numeric_fields if name not in columns]
        if not unread:
            return columns, plain
        more, more_plain = record_columns(records, unread)
        return {**columns, **more}, plain & more_plain

    def _listed(
        self,
        planned: _Planned,
        records: Sequence[Mapping[str, Any]],
        ratios: list[float],
        errors: dict[int, Exception],
    ) -> list[RuleResult]:
        """A rule in force with texts: each application's result, ``_NO_RESULT`` where it
        has an error (one that applying the rule raises is added to ``errors``)."""
        results = [_NO_RESULT] * len(records)
        for i in range(len(records)):
            if i in errors:
                continue
            try:
                if planned.rule.kind is RuleKind.MAX_DSR:
                    results[i] = self._dsr_result(planned, ratios[i])
                else:
                    results[i] = self._compared(planned, records[i])
            except Exception as exc:  # what applying this rule to it raises
                errors[i] = exc
        return results

    def _bare(
        self,
        planned: _Planned,
        records: Sequence[Mapping[str, Any]],
        columns: Mapping[str, FloatArray],
        plain: BoolArray,
        ratios: FloatArray,
        errors: dict[int, Exception],
    ) -> _RuleColumn:
        """A rule in force without texts: its check over the columns in one array pass
        (``meets_cap``, ``_check_columns``). An application without an error whose figures
        were not read plain (or whose marital status is no string, or whose platform count
        float64 cannot count in whole numbers) is checked one by one by ``_compared``; what
        that raises is added to ``errors``."""
        kind = planned.rule.kind
        if kind is RuleKind.MAX_DSR:
            every = np.ones(len(records), dtype=np.bool_)
            checks = _CheckColumns(meets_cap(ratios, planned.limit), every, ratios, every)
            odd = ~every
        else:
            figure = columns[_DECIDING_FIELD[kind]]
            married, odd = None, ~plain
            if kind is RuleKind.MIN_AGE:
                married, unread = _married(records)
                odd |= unread
            elif kind is RuleKind.MAX_PLATFORMS:
                with np.errstate(invalid="ignore"):
                    odd |= np.abs(figure) >= _EXACT_WHOLE
            checks = _check_columns(kind, planned.limit, figure, married)
        made: dict[int, RuleResult] = {}
        for i in np.flatnonzero(odd).tolist():
            if i in errors:
                continue
            try:
                made[i] = self._compared(planned, records[i], texts=False)
            except Exception as exc:  # what applying this rule to it raises
                errors[i] = exc
        return _RuleColumn.bare(planned, checks, made)

    @staticmethod
    def _dsr_result(planned: _Planned, dsr: float) -> RuleResult:
        check = _dsr_check(dsr, planned.limit, planned.since)
        return _in_force_result(planned.rule, planned.limit, planned.since, check)

    def _compared(
        self, planned: _Planned, values: Mapping[str, Any], texts: bool = True
    ) -> RuleResult:
        """The result of a rule comparing one figure, shared by the records with that figure."""
        kind = planned.rule.kind
        figure = values.get(_DECIDING_FIELD[kind])
        married = values.get("marital_status") == MARRIED if kind is RuleKind.MIN_AGE else None
        key = (planned.rule.code, type(figure), figure, married, texts)
        try:
            return self._results[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable figure: not cached
            return self._check(planned, values, texts)
        result = self._check(planned, values, texts)
        if len(self._results) >= _CACHE_SIZE:
            self._results.clear()
        self._results[key] = result
        return result

    def _check(self, planned: _Planned, values: Mapping[str, Any], texts: bool) -> RuleResult:
        check = _CHECKS[planned.rule.kind](planned.limit, planned.since, values, texts)
        return _in_force_result(
            planned.rule, planned.limit, planned.since, check, planned.unchecked
        )

    def counteroffers(
        self, batch: PolicyBatch
    ) -> tuple[list[Counteroffer | None], dict[int, Exception]]:
        """The counteroffer of each application ``evaluate`` gave ``batch``: where DSR caps
        are the only rules it failed, what meets the tightest of them (``counteroffer``);
        by position, the error of an application whose counteroffer cannot be worked out."""
        offers: list[Counteroffer | None] = [None] * batch.size
        errors: dict[int, Exception] = {}
        wanted = batch.counteroffer_rows()
        if wanted is None or not wanted[1].size:
            return offers, errors
        cap, rows = wanted
        assert batch.figures is not None  # a DSR cap failed: the DSR was computed
        found, failed = _counteroffers(
            batch.figures.take(rows),
            cap=cap,
            schema=self.schema,
            max_term=self.rule_set.max_term_months,
        )
        at = rows.tolist()
        for i, offer in zip(at, found, strict=True):
            offers[i] = offer
        errors.update({at[j]: error for j, error in failed.items()})
        return offers, errors


#: Placeholder in a rule's results for an application whose evaluation failed.
_NO_RESULT = RuleResult("", "", False, True, None, None, None, "", "")


_EVALUATORS: IdentityMemo[PolicyEvaluator] = IdentityMemo(8)


def policy_evaluator(
    rule_set: RuleSet,
    *,
    on: date,
    feature_config: FeatureConfig,
    collected: Collection[str] | None = None,
    schema: ApplicationSchema = INDONESIAN_SCHEMA,
) -> PolicyEvaluator:
    """``PolicyEvaluator(...)``, reused while the same rule set, ``collected`` and schema
    objects are applied on the same date: it keeps the results it has worked out."""
    return _EVALUATORS.get(
        (rule_set, collected, schema),
        (on, feature_config),
        lambda: PolicyEvaluator(
            rule_set, on=on, feature_config=feature_config, collected=collected, schema=schema
        ),
    )


def evaluate_policy(
    rule_set: RuleSet,
    values: Mapping[str, Any],
    *,
    on: date,
    feature_config: FeatureConfig,
    collected: Collection[str] | None = None,
) -> PolicyOutcome:
    """``PolicyEvaluator.evaluate`` of one cleaned application: its outcome, or its error
    raised (``FeatureInputError`` when its DSR cannot be computed)."""
    evaluator = policy_evaluator(
        rule_set, on=on, feature_config=feature_config, collected=collected
    )
    batch = evaluator.evaluate([values])
    outcome = batch.outcomes[0]
    if outcome is None:
        raise batch.errors[0]
    return outcome


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


def counteroffer_cap(outcome: PolicyOutcome) -> float | None:
    """The cap a counteroffer must meet when DSR caps are the only rules ``outcome`` failed:
    the tightest DSR limit in force on the decision date; else ``None`` (no counteroffer)."""
    failed = outcome.failed
    if not failed or any(result.kind != RuleKind.MAX_DSR for result in failed):
        return None
    caps = [
        r.limit
        for r in outcome.results
        if r.in_force and r.kind == RuleKind.MAX_DSR and r.limit is not None
    ]
    return min(caps)


def _counteroffers(
    figures: _Figures, *, cap: float, schema: ApplicationSchema, max_term: int | None = None
) -> tuple[list[Counteroffer | None], dict[int, Exception]]:
    """A smaller amount and/or a longer term that brings each application's DSR within
    ``cap``, in array passes (see ``counteroffer``), and by position the error of an
    application whose term is not a number of months (``int`` refuses it). The term is at
    most ``max_term`` (the rule set's) and the schema's maximum."""
    n = figures.amount.size
    errors: dict[int, Exception] = {}
    live = np.isfinite(figures.months)
    for i in np.flatnonzero(~live).tolist():
        try:
            int(float(figures.months[i]))  # raises, as taking the term in whole months does
        except (ValueError, OverflowError) as exc:
            errors[i] = exc
    within = cap + DSR_TOLERANCE
    term = np.where(live, np.trunc(figures.months), 1.0)  # int(...) of the term
    requested = figures.dsr(figures.amount, term)
    wanted = live & ~(requested <= within)
    minimum = schema.field("loan_amount").minimum or float(AMOUNT_STEP)
    maximum = int(schema.field("loan_term_months").maximum or 360)
    if max_term is not None:
        maximum = min(maximum, max_term)
    best, has_amount, amount_dsr = _max_amounts(
        figures, term, wanted, cap=cap, minimum=minimum, errors=errors
    )
    shortest = _min_terms(figures, wanted & ~_rows_in(errors, n), within=within, maximum=maximum)
    term_dsr = np.full(n, np.nan)
    rows = np.flatnonzero(shortest)
    term_dsr[rows] = figures.dsr(figures.amount[rows], shortest[rows].astype(np.float64), rows)

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
        if not wanted[i] or i in errors or (not has_amount[i] and not months):
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
    return offers, errors


def _rows_in(errors: Mapping[int, Exception], n: int) -> BoolArray:
    rows = np.zeros(n, dtype=np.bool_)
    rows[list(errors)] = True
    return rows


def _max_amounts(
    figures: _Figures,
    term: FloatArray,
    wanted: BoolArray,
    *,
    cap: float,
    minimum: float,
    errors: dict[int, Exception],
) -> tuple[FloatArray, BoolArray, FloatArray]:
    """The largest multiple of ``AMOUNT_STEP`` (at least ``minimum``) whose DSR at ``term``
    meets ``cap``, of each ``wanted`` application with room under the cap, whether it has
    one, and its DSR.

    The inverse annuity gives the exact principal; after rounding down the DSR is recomputed
    and the amount nudged up one step, then down step by step, where float noise put it on
    the wrong side of the cap.
    """
    within = cap + DSR_TOLERANCE
    room = cap * figures.income - figures.existing
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        principal = _principals(room, figures.rate, term)
        fits = wanted & (room > 0)
    # float64 steps through whole rupiah exactly below 2**52; beyond, Python ints do.
    whole = fits & ~(np.abs(principal) < 2.0**52)
    fits &= ~whole
    with np.errstate(invalid="ignore"):
        best = np.floor(principal / AMOUNT_STEP) * AMOUNT_STEP
    rows = np.flatnonzero(fits)
    ratio = np.full(best.size, np.nan)  # the DSR of ``best``
    if rows.size:
        # The DSR of the amount and of one step more, in one pass.
        both = figures.dsr(
            np.concatenate([best[rows], best[rows] + AMOUNT_STEP]),
            np.tile(term[rows], 2),
            np.tile(rows, 2),
        )
        at, above = both[: rows.size], both[rows.size :]
        up = above <= within
        best[rows[up]] += AMOUNT_STEP
        ratio[rows] = np.where(up, above, at)
    rows = rows[(best[rows] >= minimum) & ~(ratio[rows] <= within)]
    while rows.size:
        best[rows] -= AMOUNT_STEP
        rows = rows[best[rows] >= minimum]
        ratio[rows] = figures.dsr(best[rows], term[rows], rows)
        rows = rows[~(ratio[rows] <= within)]
    has_amount = fits & (best >= minimum)
    for i in np.flatnonzero(whole).tolist():
        try:
            amount = _whole_amount(figures, i, float(principal[i]), float(term[i]), cap, minimum)
        except (ValueError, OverflowError) as exc:  # a principal that is not a number
            errors[i] = exc
            continue
        if amount is not None:
            at_i = np.array([i], dtype=np.intp)
            best[i], has_amount[i] = amount, True
            ratio[i] = figures.dsr(np.array([amount]), term[at_i], at_i)[0]
    return best, has_amount, ratio


def _whole_amount(
    figures: _Figures, i: int, principal: float, term: float, cap: float, minimum: float
) -> float | None:
    """``_max_amounts`` of application ``i`` counted in Python ints: its principal is beyond
    what float64 counts in whole rupiah, or not a number (``math.floor`` refuses it)."""
    rows = np.array([i], dtype=np.intp)

    def ratio(amount: int) -> float:
        return float(figures.dsr(np.array([float(amount)]), np.array([term]), rows)[0])

    amount = math.floor(principal / AMOUNT_STEP) * AMOUNT_STEP
    if meets_cap(ratio(amount + AMOUNT_STEP), cap):
        amount += AMOUNT_STEP
    while amount >= minimum and not meets_cap(ratio(amount), cap):
        amount -= AMOUNT_STEP
    return float(amount) if amount >= minimum else None


def _min_terms(
    figures: _Figures, wanted: BoolArray, *, within: float, maximum: int
) -> npt.NDArray[np.int64]:
    """The shortest whole-month term (1..maximum) whose DSR for the requested amount is
    ``within`` the cap, of each ``wanted`` application; 0 where none is.

    Each application's powers are raised in one call with a scalar base, as the DSR over
    ``np.arange`` of terms has always raised them.
    """
    terms = np.arange(1, maximum + 1, dtype=np.float64)
    rows = np.flatnonzero(wanted)
    shortest = np.zeros(wanted.size, dtype=np.int64)
    if not rows.size:
        return shortest
    r = figures.rate[rows] / 12.0
    powers = np.empty((rows.size, terms.size))
    for i, base in enumerate(1.0 + r):
        np.power(base, -terms, out=powers[i])
    p = figures.amount[rows][:, None]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        annuity = p * r[:, None] / (1.0 - powers)
        installments = np.where(r[:, None] == 0, p / terms, annuity)
    ratios = (figures.existing[rows][:, None] + installments) / figures.income[rows][:, None]
    meeting = ratios <= within
    first = np.argmax(meeting, axis=1)
    found = meeting[np.arange(rows.size), first]
    shortest[rows[found]] = first[found] + 1
    return shortest


def counteroffer(
    values: Mapping[str, Any],
    *,
    cap: float,
    feature_config: FeatureConfig,
    schema: ApplicationSchema = INDONESIAN_SCHEMA,
    max_term_months: int | None = None,
) -> Counteroffer | None:
    """A smaller amount and/or a longer term that brings one application's DSR within
    ``cap`` (the term taken in whole months, at most ``max_term_months`` when given).

    ``None`` when the requested loan already meets the cap, or when neither a smaller amount
    (at least the schema's ``loan_amount`` minimum) nor a term up to the schema's
    ``loan_term_months`` maximum meets it. Call it only when the DSR cap is the sole failed
    rule; ``policy_counteroffer`` does that check. Missing or impossible DSR inputs raise
    ``FeatureInputError``.
    """
    columns, plain = record_columns([values], _DSR_INPUTS)
    figures, errors = _Figures.read([values], columns, plain, feature_config, whole_term=True)
    if errors:
        raise errors[0]
    offers, failed = _counteroffers(figures, cap=cap, schema=schema, max_term=max_term_months)
    if failed:
        raise failed[0]
    return offers[0]


def policy_counteroffer(
    outcome: PolicyOutcome,
    values: Mapping[str, Any],
    *,
    feature_config: FeatureConfig,
    schema: ApplicationSchema = INDONESIAN_SCHEMA,
    max_term_months: int | None = None,
) -> Counteroffer | None:
    """``counteroffer`` when the only rules that failed are DSR caps, else ``None``.

    The cap to meet is the tightest DSR limit in force on the decision date;
    ``max_term_months``: the rule set's (``RuleSet.max_term_months``).
    """
    cap = counteroffer_cap(outcome)
    if cap is None:
        return None
    return counteroffer(
        values,
        cap=cap,
        feature_config=feature_config,
        schema=schema,
        max_term_months=max_term_months,
    )
