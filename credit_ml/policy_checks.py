"""Checks of a rule-set version a person drafted: its parameters, and the statutory floor.

``rule_set_problems`` lists what is wrong with the parameters of a draft (a cap outside
0-100 %, an amount that is not positive, a count that is not a whole number, a threshold or
effective date in the past); ``floor_breaches`` lists where a draft is weaker than the
statutory rules in force (OJK's rules are a floor the lender's own rules add to). Both
return ``"field: problem"`` lines, empty when there is nothing to say. Pure: no Django.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from credit_ml.formatting import format_value
from credit_ml.policy import Rule, RuleKind, RuleSet
from credit_ml.schema import Unit

#: Kinds whose limit is a maximum: a stricter rule has a lower limit.
MAXIMA = frozenset({RuleKind.MAX_DSR, RuleKind.MAX_PLATFORMS, RuleKind.MAX_LOAN_AMOUNT})
#: Kinds whose limit is a whole number.
WHOLE = frozenset({RuleKind.MAX_PLATFORMS, RuleKind.MIN_AGE})
#: The largest minimum age a rule may set, in years.
MAX_MIN_AGE = 100


def rule_set_problems(rule_set: RuleSet, *, effective_from: date, today: date) -> list[str]:
    """What is wrong with a new version's parameters.

    ``effective_from``: the day the version takes effect, not before ``today``. Every
    threshold of every rule is checked: a DSR cap is a fraction in (0, 1] (0-100 %), an
    amount or income is positive, a platform count or age a whole number of at least one
    (an age at most ``MAX_MIN_AGE``). A threshold dated after the version's effective date
    may not be in the past either. ``None`` (a suspended rule) is always allowed.
    """
    problems = []
    if effective_from < today:
        problems.append(f"effective_from: {effective_from.isoformat()} is in the past")
    for rule in rule_set.rules:
        problems += _rule_problems(rule, effective_from=effective_from, today=today)
    return problems


def _rule_problems(rule: Rule, *, effective_from: date, today: date) -> list[str]:
    problems = []
    for threshold in rule.schedule.thresholds:
        day = threshold.effective_from
        if effective_from < day < today:
            problems.append(f"{rule.code}: the threshold of {day.isoformat()} is in the past")
        if threshold.value is not None:
            problem = _value_problem(rule.kind, threshold.value)
            if problem:
                problems.append(f"{rule.code}: {problem} (from {day.isoformat()})")
    return problems


def _value_problem(kind: RuleKind, value: float) -> str:
    if kind == RuleKind.MAX_DSR and not 0 < value <= 1:
        return f"the cap {value:g} is not between 0 and 100 % (a fraction in (0, 1])"
    if kind in WHOLE and (value != int(value) or value < 1):
        return f"{value:g} is not a whole number of at least 1"
    if kind == RuleKind.MIN_AGE and value > MAX_MIN_AGE:
        return f"a minimum age of {value:g} years is not plausible"
    if value <= 0:
        return f"{value:g} is not a positive amount"
    return ""


def floor_breaches(candidate: RuleSet, floor: RuleSet, *, since: date) -> list[str]:
    """Where ``candidate`` is weaker than ``floor`` on or after ``since``.

    Every rule of ``floor`` must be in ``candidate`` (same code); on ``since`` and on every
    later date where either schedule changes, wherever the floor's limit is in force the
    candidate's must be too, and at least as strict (a maximum no higher, a minimum no
    lower). A rule the floor does not know adds to it and is not compared.
    """
    rules = {rule.code: rule for rule in candidate.rules}
    breaches = []
    for statutory in floor.rules:
        own = rules.get(statutory.code)
        if own is None:
            breaches.append(f"{statutory.code}: the statutory rule is missing")
            continue
        breach = _first_breach(own, statutory, _days(since, own, statutory))
        if breach:
            breaches.append(f"{statutory.code}: {breach}")
    return breaches


def _days(since: date, *rules: Rule) -> list[date]:
    later = {t.effective_from for rule in rules for t in rule.schedule.thresholds}
    return sorted({since} | {day for day in later if day > since})


def _first_breach(own: Rule, statutory: Rule, days: Iterable[date]) -> str:
    for day in days:
        limit = statutory.schedule.value_on(day)
        if limit is None:
            continue
        value = own.schedule.value_on(day)
        when = day.isoformat()
        shown = format_value(_unit(statutory.kind), limit, lang="en")
        if value is None:
            return f"not in force on {when}, where the statutory limit is {shown}"
        weaker = value > limit if statutory.kind in MAXIMA else value < limit
        if weaker:
            mine = format_value(_unit(statutory.kind), value, lang="en")
            return f"{mine} on {when} is weaker than the statutory {shown}"
    return ""


def _unit(kind: RuleKind) -> Unit:
    if kind == RuleKind.MAX_DSR:
        return Unit.RATIO
    if kind in {RuleKind.MIN_INCOME, RuleKind.MAX_LOAN_AMOUNT}:
        return Unit.RUPIAH
    return Unit.YEARS if kind == RuleKind.MIN_AGE else Unit.COUNT
