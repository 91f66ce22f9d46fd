"""Decision reasons: per-group attributions mapped through a curated, bilingual catalogue.

A reason names one application field or derived feature the model used, with the
applicant's own value as a reviewer reads it ("Rp 5.000.000", "24 bulan", "Sewa/kontrak"),
never an encoded or standardised number, and never "score too low". At most four are given
(adverse-action practice).

Codes are stable identifiers that lenders may map to their own letters:

* a field whose risk direction the schema fixes (``monotone``) names the value:
  ``DSR_HIGH`` raised the risk and ``DSR_LOW`` lowered it; for income, where more is
  safer, ``INCOME_LOW`` raised it and ``INCOME_HIGH`` lowered it;
* any other field names the effect: ``<STEM>_ADVERSE`` raised the risk,
  ``<STEM>_FAVOURABLE`` lowered it;
* an optional field left empty gives ``<STEM>_MISSING`` in either direction.

A failed rule comes before every model factor: its reason has the rule's code (say
``OJK_MIN_AGE``), the figures it compared in both languages ("Usia 17 tahun, minimal 18
tahun" / "Age 17, the minimum is 18"), ``field`` naming the application field(s) the rule
reads (comma-separated, ``RULE_FIELDS`` order) and ``contribution`` ``None``: a rule has no
share of the model's log-odds. Model factors fill the places the failed rules leave.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt

from credit_ml.formatting import format_field, format_number, format_percent, format_value
from credit_ml.memo import IdentityMemo
from credit_ml.policy import RULE_FIELDS, PolicyOutcome, RuleKind, RuleResult
from credit_ml.scaling import Outcome
from credit_ml.schema import ApplicationSchema, DerivedFeature, FieldKind, FieldSpec, Unit

#: Adverse-action practice (ECOA Reg B): at most four specific reasons.
MAX_REASONS = 4


class Direction(StrEnum):
    RAISES = "raises"  # positive log-odds contribution: raised the probability of default
    LOWERS = "lowers"  # negative contribution: in the applicant's favour


_VERBS: dict[Direction, tuple[str, str]] = {
    Direction.RAISES: ("menaikkan risiko", "raised the risk"),
    Direction.LOWERS: ("menurunkan risiko", "lowered the risk"),
}


@dataclass(frozen=True)
class ReasonText:
    """One catalogue entry: a code and sentence templates with a ``{value}`` placeholder."""

    code: str
    template_id: str
    template_en: str


# group, code when it raised the risk, code when it lowered it, subject (id), subject (en).
# The subject names the factor with the applicant's value; the verb is appended.
_CURATED: tuple[tuple[str, str, str, str, str], ...] = (
    ("age", "AGE_ADVERSE", "AGE_FAVOURABLE", "Usia {value}", "Age of {value}"),
    (
        "education", "EDUCATION_ADVERSE", "EDUCATION_FAVOURABLE",
        "Pendidikan terakhir {value}", "Education level ({value})",
    ),
    (
        "housing_type", "HOUSING_ADVERSE", "HOUSING_FAVOURABLE",
        "Status tempat tinggal {value}", "Housing status ({value})",
    ),
    (
        "province", "PROVINCE_ADVERSE", "PROVINCE_FAVOURABLE",
        "Provinsi domisili {value}", "Province of residence ({value})",
    ),
    (
        "employment_status", "EMPLOYMENT_ADVERSE", "EMPLOYMENT_FAVOURABLE",
        "Status pekerjaan {value}", "Employment status ({value})",
    ),
    (
        "work_experience_years", "WORK_EXPERIENCE_ADVERSE", "WORK_EXPERIENCE_FAVOURABLE",
        "Lama bekerja {value}", "Work experience of {value}",
    ),
    (
        "monthly_income", "INCOME_LOW", "INCOME_HIGH",
        "Penghasilan bulanan {value}", "Monthly income of {value}",
    ),
    (
        "existing_monthly_installments", "EXISTING_INSTALLMENTS_ADVERSE",
        "EXISTING_INSTALLMENTS_FAVOURABLE",
        "Cicilan berjalan {value} per bulan", "Existing installments of {value} a month",
    ),
    (
        "total_existing_debt", "EXISTING_DEBT_ADVERSE", "EXISTING_DEBT_FAVOURABLE",
        "Total utang berjalan {value}", "Total existing debt of {value}",
    ),
    (
        "loan_amount", "LOAN_AMOUNT_ADVERSE", "LOAN_AMOUNT_FAVOURABLE",
        "Jumlah pinjaman yang diajukan {value}", "Requested loan amount of {value}",
    ),
    (
        "loan_term_months", "LOAN_TERM_ADVERSE", "LOAN_TERM_FAVOURABLE",
        "Tenor {value}", "Loan term of {value}",
    ),
    (
        "annual_interest_rate", "INTEREST_RATE_ADVERSE", "INTEREST_RATE_FAVOURABLE",
        "Suku bunga {value}", "Interest rate of {value}",
    ),
    (
        "loan_purpose", "LOAN_PURPOSE_ADVERSE", "LOAN_PURPOSE_FAVOURABLE",
        "Tujuan pinjaman {value}", "Loan purpose ({value})",
    ),
    (
        "credit_card_utilization", "CARD_UTILISATION_HIGH", "CARD_UTILISATION_LOW",
        "Pemakaian limit kartu kredit {value}", "Credit card utilisation of {value}",
    ),
    (
        "past_delinquencies", "DELINQUENCIES_HIGH", "DELINQUENCIES_LOW",
        "Riwayat tunggakan sebanyak {value} kali", "Number of past delinquencies ({value})",
    ),
    (
        "worst_collectibility_24m", "COLLECTIBILITY_HIGH", "COLLECTIBILITY_LOW",
        "Kolektibilitas SLIK terburuk {value} dalam 24 bulan terakhir",
        "A worst SLIK collectibility of {value} in the last 24 months",
    ),
    (
        "active_lending_platforms", "PLATFORMS_HIGH", "PLATFORMS_LOW",
        "Jumlah platform pinjaman aktif ({value})", "Number of active lending platforms ({value})",
    ),
    (
        "new_installment", "NEW_INSTALLMENT_ADVERSE", "NEW_INSTALLMENT_FAVOURABLE",
        "Cicilan pinjaman baru {value} per bulan", "New loan installment of {value} a month",
    ),
    (
        "dsr", "DSR_HIGH", "DSR_LOW",
        "Rasio cicilan terhadap penghasilan {value}", "Debt service ratio of {value}",
    ),
    (
        "loan_to_income", "LOAN_TO_INCOME_ADVERSE", "LOAN_TO_INCOME_FAVOURABLE",
        "Rasio pinjaman terhadap penghasilan tahunan {value}",
        "Loan to annual income ratio of {value}",
    ),
    (
        "debt_to_income", "DEBT_TO_INCOME_ADVERSE", "DEBT_TO_INCOME_FAVOURABLE",
        "Rasio utang terhadap penghasilan tahunan {value}",
        "Debt to annual income ratio of {value}",
    ),
    (
        "disposable_income", "DISPOSABLE_INCOME_ADVERSE", "DISPOSABLE_INCOME_FAVOURABLE",
        "Sisa penghasilan setelah cicilan {value} per bulan",
        "Income left after installments of {value} a month",
    ),
)  # fmt: skip


def _catalogue() -> dict[tuple[str, Direction], ReasonText]:
    catalogue: dict[tuple[str, Direction], ReasonText] = {}
    for group, raised, lowered, subject_id, subject_en in _CURATED:
        for direction, code in ((Direction.RAISES, raised), (Direction.LOWERS, lowered)):
            verb_id, verb_en = _VERBS[direction]
            text = ReasonText(code, f"{subject_id} {verb_id}", f"{subject_en} {verb_en}")
            catalogue[(group, direction)] = text
    return catalogue


#: (feature group, direction) -> curated code and texts.
REASON_CATALOGUE: dict[tuple[str, Direction], ReasonText] = _catalogue()


class ReasonDict(TypedDict):
    """``Reason.to_dict``: one reason as returned and recorded. ``contribution`` is ``None``
    for a failed rule's reason (they come first), a float in log-odds for a model factor."""

    code: str
    field: str
    value_id: str
    value_en: str
    contribution: float | None
    text_id: str
    text_en: str


@dataclass(frozen=True)
class Reason:
    """One reason for a decision. ``contribution`` is in log-odds of default (6 decimals),
    ``None`` for a failed rule; ``value_id``/``value_en`` are the applicant's value as
    displayed (for a rule: the figure it compared)."""

    code: str
    field: str
    value_id: str
    value_en: str
    contribution: float | None
    text_id: str
    text_en: str

    def to_dict(self) -> ReasonDict:
        return {
            "code": self.code,
            "field": self.field,
            "value_id": self.value_id,
            "value_en": self.value_en,
            "contribution": self.contribution,
            "text_id": self.text_id,
            "text_en": self.text_en,
        }


def code_suffix(monotone: int, direction: Direction) -> str:
    """The code suffix the naming convention gives a field with this ``monotone`` sign."""
    if monotone == 0:
        return "ADVERSE" if direction is Direction.RAISES else "FAVOURABLE"
    raises_when_high = monotone > 0
    return "HIGH" if raises_when_high == (direction is Direction.RAISES) else "LOW"


def _generic_text(spec: FieldSpec | DerivedFeature, direction: Direction) -> ReasonText:
    """Fallback for a group with no curated entry (a lender's own field), from its labels."""
    verb_id, verb_en = _VERBS[direction]
    code = f"{spec.name.upper()}_{code_suffix(spec.monotone, direction)}"
    return ReasonText(
        code, f"{spec.label_id} ({{value}}) {verb_id}", f"{spec.label_en} ({{value}}) {verb_en}"
    )


def reason_text(spec: FieldSpec | DerivedFeature, direction: Direction) -> ReasonText:
    """The curated entry for ``spec`` in ``direction``, or the generic one built from labels."""
    return REASON_CATALOGUE.get((spec.name, direction)) or _generic_text(spec, direction)


def _missing_text(
    spec: FieldSpec | DerivedFeature, text: ReasonText, direction: Direction
) -> ReasonText:
    """An empty optional field: say it was not provided rather than quote a value."""
    verb_id, verb_en = _VERBS[direction]
    stem = text.code.rsplit("_", 1)[0]
    return ReasonText(
        f"{stem}_MISSING",
        f"{spec.label_id} tidak diisi, dan hal ini {verb_id}",
        f"{spec.label_en} was not provided, which {verb_en}",
    )


def _group_spec(schema: ApplicationSchema, name: str) -> FieldSpec | DerivedFeature:
    """The field or derived feature a contribution belongs to; refuses non-model groups."""
    for spec in schema.fields:
        if spec.name == name:
            if spec.kind is FieldKind.IDENTITY or name in schema.excluded_protected:
                raise ValueError(f"{name!r} is not a model feature and cannot be a reason.")
            return spec
    for derived in schema.derived:
        if derived.name == name:
            return derived
    raise ValueError(f"{name!r} is neither a field nor a derived feature of {schema.version}.")


_OUTCOMES = tuple(Outcome)


def _direction_for(decision: str) -> Direction:
    """REVIEW and REJECT explain what raised the risk; APPROVE what lowered it."""
    if decision not in _OUTCOMES:
        raise ValueError(f"Unknown decision {decision!r}: use one of {', '.join(Outcome)}.")
    return Direction.LOWERS if decision == Outcome.APPROVE else Direction.RAISES


#: What a reason says apart from its contribution: code, value_id, value_en, text_id, text_en.
_Parts = tuple[str, str, str, str, str]


def _text_for(spec: FieldSpec | DerivedFeature, missing: bool, direction: Direction) -> ReasonText:
    """The entry of a reason on ``spec`` in ``direction``; ``missing``: its value is ``None``."""
    text = reason_text(spec, direction)
    return _missing_text(spec, text, direction) if missing else text


def _reason_parts(spec: FieldSpec | DerivedFeature, value: Any, direction: Direction) -> _Parts:
    text = _text_for(spec, value is None, direction)
    value_id, value_en = format_field(spec, value, lang="id"), format_field(spec, value, lang="en")
    return (
        text.code,
        value_id,
        value_en,
        text.template_id.format(value=value_id),
        text.template_en.format(value=value_en),
    )


def _from_parts(name: str, parts: _Parts, contribution: float) -> Reason:
    code, value_id, value_en, text_id, text_en = parts
    return Reason(
        code=code,
        field=name,
        value_id=value_id,
        value_en=value_en,
        contribution=round(contribution, 6),
        text_id=text_id,
        text_en=text_en,
    )


#: A figure as (id, en) text.
_Pair = tuple[str, str]


def _years_pair(value: float) -> _Pair:
    return format_value(Unit.YEARS, value, lang="id"), format_number(value, lang="en")


def _unit_pair(unit: Unit) -> Callable[[float], _Pair]:
    return lambda value: (
        format_value(unit, value, lang="id"),
        format_value(unit, value, lang="en"),
    )


def _percent_pair(ratio: float) -> _Pair:
    return format_percent(ratio, lang="id"), format_percent(ratio, lang="en")


#: Per kind of rule: subject (id, en), how its figures read, and whether the limit is a
#: minimum. "{subject} {figure}, minimal {limit}" / "{subject} {figure}, the minimum is ...".
_RULE_WORDING: dict[RuleKind, tuple[_Pair, Callable[[float], _Pair], bool]] = {
    RuleKind.MIN_AGE: (("Usia", "Age"), _years_pair, True),
    RuleKind.MAX_PLATFORMS: (
        ("Platform pinjaman termasuk pinjaman ini:", "Lending platforms including this loan:"),
        _unit_pair(Unit.COUNT),
        False,
    ),
    RuleKind.MIN_INCOME: (
        ("Penghasilan bulanan", "Monthly income of"),
        _unit_pair(Unit.RUPIAH),
        True,
    ),
    RuleKind.MAX_LOAN_AMOUNT: (
        ("Jumlah pinjaman", "Loan amount of"),
        _unit_pair(Unit.RUPIAH),
        False,
    ),
    RuleKind.MAX_DSR: (("DSR", "DSR"), _percent_pair, False),
}


#: The subject of a rule whose figure was not provided, where it differs from the above.
_MISSING_SUBJECT: dict[RuleKind, _Pair] = {
    RuleKind.MAX_PLATFORMS: ("Jumlah platform pinjaman aktif", "Active lending platforms"),
}


def _rule_sentences(result: RuleResult, values: Mapping[str, Any]) -> tuple[_Pair, _Pair]:
    """A failed rule's figure ``(value_id, value_en)`` and sentence ``(text_id, text_en)``."""
    kind = RuleKind(result.kind)
    (subject_id, subject_en), pair, minimum = _RULE_WORDING[kind]
    limit_id, limit_en = pair(result.limit) if result.limit is not None else ("-", "-")
    bound_id, bound_en = ("minimal", "minimum") if minimum else ("maksimal", "maximum")
    if result.actual is None:
        subject_id, subject_en = _MISSING_SUBJECT.get(
            kind, (subject_id, subject_en.removesuffix(" of"))
        )
        value = (
            format_value(Unit.COUNT, None, lang="id"),
            format_value(Unit.COUNT, None, lang="en"),
        )
        return value, (
            f"{subject_id} tidak diisi, {bound_id} {limit_id}",
            f"{subject_en} not provided, the {bound_en} is {limit_en}",
        )
    value = pair(result.actual)
    income = values.get("monthly_income")
    if kind is RuleKind.MAX_DSR and income is not None and result.limit is not None:
        total_id, total_en = _unit_pair(Unit.RUPIAH)(result.actual * float(income))
        income_id, income_en = _unit_pair(Unit.RUPIAH)(float(income))
        return value, (
            f"Total cicilan {total_id} melebihi {limit_id} dari penghasilan {income_id}",
            f"Total installments of {total_en} exceed {limit_en} of the income of {income_en}",
        )
    return value, (
        f"{subject_id} {value[0]}, {bound_id} {limit_id}",
        f"{subject_en} {value[1]}, the {bound_en} is {limit_en}",
    )


def rule_reason(result: RuleResult, values: Mapping[str, Any]) -> Reason:
    """The reason a failed rule gives (see the module docstring); ``values`` is the cleaned
    application the rule judged."""
    (value_id, value_en), (text_id, text_en) = _rule_sentences(result, values)
    return Reason(
        code=result.code,
        field=",".join(RULE_FIELDS[RuleKind(result.kind)]),
        value_id=value_id,
        value_en=value_en,
        contribution=None,
        text_id=text_id,
        text_en=text_en,
    )


def rule_reasons(outcome: PolicyOutcome | None, values: Mapping[str, Any]) -> tuple[Reason, ...]:
    """The reasons of the rules ``outcome`` failed, or could not check and so sent to
    REVIEW, in rule-set order."""
    return tuple(rule_reason(result, values) for result in _reason_rules(outcome))


def _reason_rules(outcome: PolicyOutcome | None) -> tuple[RuleResult, ...]:
    """The results of ``outcome`` that give a reason, in rule-set order."""
    if outcome is None:
        return ()
    return tuple(
        result
        for result in outcome.results
        if result.review or (result.in_force and not result.passed)
    )


def build_reasons(
    contributions: Mapping[str, float],
    *,
    values: Mapping[str, Any],
    derived: Mapping[str, float],
    decision: str,
    schema: ApplicationSchema,
    limit: int = MAX_REASONS,
    policy: PolicyOutcome | None = None,
) -> tuple[Reason, ...]:
    """The reasons for one decision, failed rules first, then model factors strongest
    first: ``ReasonBuilder.build`` of one row.

    ``contributions`` maps each field or derived-feature group to its summed attribution in
    log-odds (positive raises the probability of default; one-hot columns already summed per
    field). ``values`` are the cleaned application, ``derived`` the derived features, both in
    original units; ``policy`` the rules' outcome (its failed rules come first).
    """
    builder = reason_builder(tuple(contributions), schema=schema, limit=limit)
    row = np.array([[float(value) for value in contributions.values()]], dtype=np.float64)
    (reasons,) = builder.build(
        row, values=[values], derived=[derived], decisions=[decision], policies=[policy]
    )
    return reasons


#: A reason without its texts: its code and contribution (``None`` for a failed rule).
ReasonCode = tuple[str, float | None]


@dataclass(frozen=True)
class _Picked:
    """Per row: whether its decision is APPROVE (``lowers``), its up-to-``limit`` strongest
    groups in that direction (``order``, strongest first), how many of them push that way
    (``counts``) and their contributions (``chosen``)."""

    lowers: npt.NDArray[np.bool_]
    order: npt.NDArray[np.intp]
    counts: npt.NDArray[np.intp]
    chosen: npt.NDArray[np.float64]


#: Reason texts kept per builder (one per group, direction and value), at most: builders
#: are reused from request to request (``reason_builder``), so this bounds their memory.
_CACHE_SIZE = 8_192


class ReasonBuilder:
    """The reasons of decisions whose contributions come in the same groups.

    For each decision, REVIEW and REJECT get the up-to-``limit`` largest positive
    contributions, APPROVE the up-to-``limit`` most negative, strongest first (equal ones
    by group name); zero contributions are never reasons. The groups are checked against
    the schema once (on the first ``build``: identity fields, excluded protected fields and
    unknown names raise ``ValueError``), the strongest groups of every row are picked in
    one array pass, and a reason's texts are reused for the same group, direction and value
    (values repeat: amounts, terms, categories).
    """

    def __init__(
        self, groups: Sequence[str], *, schema: ApplicationSchema, limit: int = MAX_REASONS
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1.")
        self.groups = tuple(groups)
        self.limit = limit
        self.schema = schema
        # Rank of each group's name: ties in strength go to the name first in order.
        ranks = np.empty(len(self.groups), dtype=np.int64)
        ranks[np.argsort(np.array(self.groups, dtype=object), kind="stable")] = np.arange(
            len(self.groups)
        )
        self._ranks = ranks
        self._parts: dict[tuple[Any, ...], _Parts] = {}

    @cached_property
    def _specs(self) -> list[FieldSpec | DerivedFeature]:
        """Each group's field or derived feature (looked up on the first ``build``)."""
        return [_group_spec(self.schema, name) for name in self.groups]

    def build(
        self,
        contributions: npt.NDArray[np.float64],
        *,
        values: Sequence[Mapping[str, Any]],
        derived: Sequence[Mapping[str, float]],
        decisions: Sequence[str],
        policies: Sequence[PolicyOutcome | None] | None = None,
    ) -> list[tuple[Reason, ...]]:
        """The reasons of each row: ``contributions`` (n, groups), in ``groups`` order, with
        each row's cleaned ``values``, ``derived`` features and ``decision``. ``policies``:
        each row's rule outcome; the rules it failed come first (``rule_reasons``), model
        factors fill the rest of the ``limit``."""
        picked = self._picked(contributions, decisions)
        specs = self._specs
        reasons: list[tuple[Reason, ...]] = []
        for i, (columns, chosen, count) in enumerate(
            zip(picked.order.tolist(), picked.chosen.tolist(), picked.counts.tolist(), strict=True)
        ):
            direction = Direction.LOWERS if picked.lowers[i] else Direction.RAISES
            row = list(rule_reasons(policies[i], values[i]))[: self.limit] if policies else []
            count = min(count, self.limit - len(row))
            for j, contribution in zip(columns[:count], chosen[:count], strict=True):
                name = self.groups[j]
                spec = specs[j]
                value = (
                    derived[i].get(name)
                    if isinstance(spec, DerivedFeature)
                    else values[i].get(name)
                )
                row.append(_from_parts(name, self._texts(j, value, direction), contribution))
            reasons.append(tuple(row))
        return reasons

    def codes(
        self,
        contributions: npt.NDArray[np.float64],
        *,
        missing: npt.NDArray[np.bool_],
        decisions: Sequence[str],
        policies: Sequence[PolicyOutcome | None] | None = None,
        rules: Sequence[tuple[str, ...]] | None = None,
    ) -> list[tuple[ReasonCode, ...]]:
        """``build`` without the texts: each row's reasons as (code, contribution) pairs,
        the same codes, contributions and order ``build`` gives (failed rules first, with
        ``None``). ``missing`` (n, groups): where a row's value of a group is ``None``
        (``build`` then gives the ``_MISSING`` code); a derived feature is never missing.
        ``rules``: instead of ``policies``, the codes of each row's rules that give a reason
        (``PolicyBatch.reason_codes``, the codes of ``_reason_rules``)."""
        if rules is None and policies:
            rules = [tuple(result.code for result in _reason_rules(p)) for p in policies]
        picked = self._picked(contributions, decisions)
        missing = np.asarray(missing, dtype=np.bool_)
        if missing.shape != (len(decisions), len(self.groups)):
            raise ValueError(f"Expected a missing mask of shape ({len(decisions)}, groups).")
        fields = np.array([not isinstance(spec, DerivedFeature) for spec in self._specs])
        gone = np.take_along_axis(missing & fields, picked.order, axis=1)
        # One code per (group, direction, missing): the columns of ``_code_grid``.
        slot = picked.order * 4 + picked.lowers[:, None] * 2 + gone
        codes = np.asarray(self._code_grid, dtype=object)[slot].tolist()
        rows: list[tuple[ReasonCode, ...]] = []
        for i, (named, chosen, count) in enumerate(
            zip(codes, picked.chosen.tolist(), picked.counts.tolist(), strict=True)
        ):
            ruled = rules[i] if rules else ()
            head = [(code, None) for code in ruled[: self.limit]]
            count = min(count, self.limit - len(head))
            model = zip(named[:count], chosen[:count], strict=True)
            rows.append((*head, *((code, round(value, 6)) for code, value in model)))
        return rows

    @cached_property
    def _code_grid(self) -> list[str]:
        """Each group's code at ``4 * group + 2 * lowers + missing``."""
        return [
            _text_for(spec, missing, direction).code
            for spec in self._specs
            for direction in (Direction.RAISES, Direction.LOWERS)
            for missing in (False, True)
        ]

    def _picked(self, contributions: npt.NDArray[np.float64], decisions: Sequence[str]) -> _Picked:
        """Each row's strongest groups in its decision's direction (see the class)."""
        grid = np.asarray(contributions, dtype=np.float64)
        n = len(decisions)
        if grid.shape != (n, len(self.groups)):
            raise ValueError(f"Expected contributions of shape ({n}, {len(self.groups)}).")
        lowers = np.fromiter(
            (_direction_for(decision) is Direction.LOWERS for decision in decisions), np.bool_, n
        )
        self._specs  # noqa: B018 (checks the groups against the schema before anything else)
        finite = np.isfinite(grid)
        if not finite.all():
            column = int(np.argwhere(~finite)[0][1])  # the first in the first such row
            raise ValueError(f"Contribution of {self.groups[column]!r} is not a finite number.")
        pushing = np.where(lowers[:, None], -grid, grid)
        # Strongest first, then by name; the groups not pushing sort last.
        strength = np.where(pushing > 0, -pushing, np.inf)
        ranks = np.broadcast_to(self._ranks, grid.shape)
        order = np.lexsort((ranks, strength), axis=-1)[:, : self.limit]
        counts = np.minimum(np.count_nonzero(pushing > 0, axis=1), self.limit)
        chosen = np.take_along_axis(grid, order, axis=1)
        return _Picked(lowers, order, counts, chosen)

    def _texts(self, column: int, value: Any, direction: Direction) -> _Parts:
        key = (column, direction, type(value), value)
        try:
            return self._parts[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value: not cached
            return _reason_parts(self._specs[column], value, direction)
        parts = _reason_parts(self._specs[column], value, direction)
        if len(self._parts) >= _CACHE_SIZE:
            self._parts.clear()
        self._parts[key] = parts
        return parts


_BUILDERS: IdentityMemo[ReasonBuilder] = IdentityMemo(8)


def reason_builder(
    groups: Sequence[str], *, schema: ApplicationSchema, limit: int = MAX_REASONS
) -> ReasonBuilder:
    """``ReasonBuilder(...)``, reused while the same groups are explained with the same
    schema object: it keeps the reason texts it has written."""
    names = tuple(groups)
    return _BUILDERS.get(
        (schema,), (names, limit), lambda: ReasonBuilder(names, schema=schema, limit=limit)
    )
