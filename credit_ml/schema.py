"""The application schema: every field written once, with its type, unit, bounds and values.

The same definition drives the synthetic generator, the training pipeline and the API's
validation. A lender's own dataset spec builds an ``ApplicationSchema`` of the same shape.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Any


class FieldKind(StrEnum):
    IDENTITY = "identity"  # never a model feature, never stored raw
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    ORDINAL = "ordinal"  # ordered categories, encoded as their index


class Unit(StrEnum):
    RUPIAH = "IDR"
    RUPIAH_PER_MONTH = "IDR/month"
    YEARS = "years"
    MONTHS = "months"
    RATIO = "ratio"  # 0..1, shown as a percentage
    RATE_PER_YEAR = "rate/year"  # 0.18 = 18 % a year
    COUNT = "count"
    GRADE = "grade"  # SLIK collectibility 1..5
    NONE = ""


@dataclass(frozen=True)
class FieldSpec:
    """One application field.

    ``monotone`` is the known direction of risk: +1 means a higher value never lowers the
    risk, -1 means a higher value never raises it, 0 means no constraint.
    """

    name: str
    kind: FieldKind
    label_id: str
    label_en: str
    dtype: str = "float"  # "int", "float" or "str"
    unit: Unit = Unit.NONE
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    choice_labels_id: tuple[str, ...] = ()
    choice_labels_en: tuple[str, ...] = ()
    required: bool = True
    max_length: int | None = None
    protected: bool = False
    monotone: int = 0
    # Band edges (ascending) for a numeric protected field in fairness reports.
    bins: tuple[float, ...] = ()

    @property
    def is_feature_kind(self) -> bool:
        return self.kind is not FieldKind.IDENTITY

    def choice_label(self, value: str, lang: str) -> str:
        labels = self.choice_labels_id if lang == "id" else self.choice_labels_en
        if value in self.choices and labels:
            return labels[self.choices.index(value)]
        return value


@dataclass(frozen=True)
class DerivedFeature:
    """A model feature computed from application fields (see ``credit_ml.features``)."""

    name: str
    label_id: str
    label_en: str
    unit: Unit
    inputs: tuple[str, ...]
    monotone: int = 0


@dataclass(frozen=True)
class ApplicationSchema:
    version: str
    fields: tuple[FieldSpec, ...]
    derived: tuple[DerivedFeature, ...] = ()
    target: str = "is_default"
    excluded_protected: tuple[str, ...] = field(default_factory=tuple)
    #: Optional column of non-negative sample weights for training (never a feature).
    weight: str | None = None

    def field(self, name: str) -> FieldSpec:
        return self._by_name[name]

    @cached_property
    def _by_name(self) -> dict[str, FieldSpec]:
        return {spec.name: spec for spec in self.fields}

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)

    @cached_property
    def identity_fields(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.fields if s.kind is FieldKind.IDENTITY)

    @cached_property
    def protected_fields(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.fields if s.protected)

    @cached_property
    def model_fields(self) -> tuple[FieldSpec, ...]:
        """Application fields that reach the model: no identity, no excluded protected field."""
        return tuple(
            s for s in self.fields if s.is_feature_kind and s.name not in self.excluded_protected
        )


# --------------------------------------------------------------------------------------
# The built-in Indonesian retail-credit schema
# --------------------------------------------------------------------------------------

#: BPS/Kemendagri province codes (the first two digits of a NIK) with their names.
PROVINCES: dict[str, str] = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua",
    "92": "Papua Barat",
    "93": "Papua Selatan",
    "94": "Papua Tengah",
    "95": "Papua Pegunungan",
    "96": "Papua Barat Daya",
}

PROVINCE_CHOICES: tuple[str, ...] = tuple(
    name.upper().replace(" ", "_") for name in PROVINCES.values()
)
PROVINCE_CODES: tuple[str, ...] = tuple(PROVINCES)

EDUCATION = ("SD", "SMP", "SMA", "D3", "S1", "S2", "S3")
GENDER = ("M", "F")
MARITAL = ("SINGLE", "MARRIED", "DIVORCED", "WIDOWED")
HOUSING = ("OWN", "MORTGAGE", "FAMILY", "RENT", "COMPANY")
EMPLOYMENT = (
    "PERMANENT",
    "CONTRACT",
    "CIVIL_SERVANT",
    "SELF_EMPLOYED",
    "ENTREPRENEUR",
    "FREELANCE",
    "UNEMPLOYED",
)
PURPOSE = (
    "CONSUMER_GOODS",
    "VEHICLE",
    "HOME_RENOVATION",
    "EDUCATION",
    "WORKING_CAPITAL",
    "MEDICAL",
    "DEBT_CONSOLIDATION",
    "OTHER",
)

RP_MAX = 2_000_000_000.0  # Rp 2 billion: the OJK funding ceiling, also our upper bound
INCOME_MAX = 10_000_000_000.0  # Rp 10 billion a month: anything above is absurd input

F = FieldSpec
K = FieldKind

INDONESIAN_FIELDS: tuple[FieldSpec, ...] = (
    # identity: validated, masked, never a feature, never stored raw
    F(
        "application_id",
        K.IDENTITY,
        "Nomor aplikasi",
        "Application reference",
        "str",
        max_length=64,
    ),
    F("full_name", K.IDENTITY, "Nama lengkap", "Full name", "str", max_length=120),
    F("nik", K.IDENTITY, "NIK", "National ID (NIK)", "str", max_length=16),
    F("phone", K.IDENTITY, "Nomor telepon", "Phone", "str", max_length=20),
    F("email", K.IDENTITY, "Email", "Email", "str", max_length=254),
    F("address", K.IDENTITY, "Alamat", "Address", "str", max_length=300, required=False),
    # applicant
    F(
        "age",
        K.NUMERIC,
        "Usia",
        "Age",
        "int",
        Unit.YEARS,
        17,
        80,
        protected=True,
        bins=(0, 25, 35, 45, 55),
    ),
    F(
        "gender",
        K.CATEGORICAL,
        "Jenis kelamin",
        "Gender",
        "str",
        choices=GENDER,
        choice_labels_id=("Laki-laki", "Perempuan"),
        choice_labels_en=("Male", "Female"),
        protected=True,
    ),
    F(
        "marital_status",
        K.CATEGORICAL,
        "Status perkawinan",
        "Marital status",
        "str",
        choices=MARITAL,
        choice_labels_id=("Belum kawin", "Kawin", "Cerai hidup", "Cerai mati"),
        choice_labels_en=("Single", "Married", "Divorced", "Widowed"),
        protected=True,
    ),
    F(
        "education",
        K.ORDINAL,
        "Pendidikan",
        "Education",
        "str",
        choices=EDUCATION,
        choice_labels_id=EDUCATION,
        choice_labels_en=(
            "Primary school",
            "Junior high school",
            "Senior high school",
            "Diploma (D3)",
            "Bachelor (S1)",
            "Master (S2)",
            "Doctorate (S3)",
        ),
    ),
    F(
        "housing_type",
        K.CATEGORICAL,
        "Status tempat tinggal",
        "Housing",
        "str",
        choices=HOUSING,
        choice_labels_id=("Milik sendiri", "KPR", "Rumah keluarga", "Sewa/kontrak", "Rumah dinas"),
        choice_labels_en=("Owned", "Mortgaged", "Family home", "Rented", "Company housing"),
    ),
    F(
        "province",
        K.CATEGORICAL,
        "Provinsi",
        "Province",
        "str",
        choices=PROVINCE_CHOICES,
        choice_labels_id=tuple(PROVINCES.values()),
        choice_labels_en=tuple(PROVINCES.values()),
        required=False,
    ),
    F(
        "employment_status",
        K.CATEGORICAL,
        "Status pekerjaan",
        "Employment",
        "str",
        choices=EMPLOYMENT,
        choice_labels_id=(
            "Karyawan tetap",
            "Karyawan kontrak",
            "PNS/ASN",
            "Wiraswasta",
            "Pengusaha",
            "Pekerja lepas",
            "Tidak bekerja",
        ),
        choice_labels_en=(
            "Permanent employee",
            "Contract employee",
            "Civil servant",
            "Self-employed",
            "Business owner",
            "Freelancer",
            "Unemployed",
        ),
    ),
    F(
        "work_experience_years",
        K.NUMERIC,
        "Lama bekerja",
        "Work experience",
        "float",
        Unit.YEARS,
        0,
        60,
    ),
    # money, rupiah per month unless named otherwise
    F(
        "monthly_income",
        K.NUMERIC,
        "Penghasilan bulanan",
        "Monthly income",
        "float",
        Unit.RUPIAH_PER_MONTH,
        1,
        INCOME_MAX,
        monotone=-1,
    ),
    F(
        "existing_monthly_installments",
        K.NUMERIC,
        "Cicilan berjalan per bulan",
        "Existing monthly installments",
        "float",
        Unit.RUPIAH_PER_MONTH,
        0,
        INCOME_MAX,
    ),
    F(
        "total_existing_debt",
        K.NUMERIC,
        "Total utang berjalan",
        "Total existing debt",
        "float",
        Unit.RUPIAH,
        0,
        100 * RP_MAX,
    ),
    F(
        "loan_amount",
        K.NUMERIC,
        "Jumlah pinjaman",
        "Loan amount",
        "float",
        Unit.RUPIAH,
        100_000,
        RP_MAX,
    ),
    F("loan_term_months", K.NUMERIC, "Tenor", "Loan term", "int", Unit.MONTHS, 1, 360),
    F(
        "annual_interest_rate",
        K.NUMERIC,
        "Suku bunga per tahun",
        "Annual interest rate",
        "float",
        Unit.RATE_PER_YEAR,
        0,
        2.0,
        required=False,
    ),
    F(
        "loan_purpose",
        K.CATEGORICAL,
        "Tujuan pinjaman",
        "Loan purpose",
        "str",
        choices=PURPOSE,
        choice_labels_id=(
            "Barang konsumsi",
            "Kendaraan",
            "Renovasi rumah",
            "Pendidikan",
            "Modal usaha",
            "Kesehatan",
            "Konsolidasi utang",
            "Lainnya",
        ),
        choice_labels_en=(
            "Consumer goods",
            "Vehicle",
            "Home renovation",
            "Education",
            "Working capital",
            "Medical",
            "Debt consolidation",
            "Other",
        ),
    ),
    F(
        "credit_card_utilization",
        K.NUMERIC,
        "Pemakaian limit kartu kredit",
        "Credit card utilisation",
        "float",
        Unit.RATIO,
        0,
        1,
        monotone=1,
    ),
    F(
        "past_delinquencies",
        K.NUMERIC,
        "Riwayat tunggakan",
        "Past delinquencies",
        "int",
        Unit.COUNT,
        0,
        100,
        monotone=1,
    ),
    F(
        "worst_collectibility_24m",
        K.NUMERIC,
        "Kolektibilitas terburuk 24 bulan (SLIK)",
        "Worst SLIK collectibility in 24 months",
        "int",
        Unit.GRADE,
        1,
        5,
        required=False,
        monotone=1,
    ),
    F(
        "active_lending_platforms",
        K.NUMERIC,
        "Jumlah platform pinjaman aktif",
        "Active lending platforms",
        "int",
        Unit.COUNT,
        0,
        50,
        required=False,
        monotone=1,
    ),
)

INDONESIAN_DERIVED: tuple[DerivedFeature, ...] = (
    DerivedFeature(
        "new_installment",
        "Cicilan pinjaman baru",
        "New loan installment",
        Unit.RUPIAH_PER_MONTH,
        ("loan_amount", "loan_term_months", "annual_interest_rate"),
    ),
    DerivedFeature(
        "dsr",
        "Rasio cicilan terhadap penghasilan (DSR)",
        "Debt service ratio (DSR)",
        Unit.RATIO,
        (
            "existing_monthly_installments",
            "loan_amount",
            "loan_term_months",
            "annual_interest_rate",
            "monthly_income",
        ),
        monotone=1,
    ),
    DerivedFeature(
        "loan_to_income",
        "Pinjaman terhadap penghasilan tahunan",
        "Loan to annual income",
        Unit.RATIO,
        ("loan_amount", "monthly_income"),
    ),
    DerivedFeature(
        "debt_to_income",
        "Utang terhadap penghasilan tahunan",
        "Debt to annual income",
        Unit.RATIO,
        ("total_existing_debt", "monthly_income"),
    ),
    DerivedFeature(
        "disposable_income",
        "Sisa penghasilan setelah cicilan",
        "Income left after installments",
        Unit.RUPIAH_PER_MONTH,
        (
            "monthly_income",
            "existing_monthly_installments",
            "loan_amount",
            "loan_term_months",
            "annual_interest_rate",
        ),
    ),
)

INDONESIAN_SCHEMA = ApplicationSchema(
    version="id-retail-1",
    fields=INDONESIAN_FIELDS,
    derived=INDONESIAN_DERIVED,
    target="is_default",
    excluded_protected=("gender", "marital_status"),
)


# --------------------------------------------------------------------------------------
# Validation of one record (API, batch files): strict, every problem named per field
# --------------------------------------------------------------------------------------


class ValidationFailed(ValueError):
    """Raised with ``errors``: field name to a list of readable messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__("invalid application")
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items()}


def _coerce_number(spec: FieldSpec, value: Any) -> tuple[float | int | None, str | None]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, "Must be a number."
    number = float(value)
    if not math.isfinite(number):
        return None, "Must be a finite number (NaN and Infinity are not allowed)."
    if spec.dtype == "int":
        if number != int(number):
            return None, "Must be a whole number."
        coerced: float | int = int(number)
    else:
        coerced = number
    if spec.minimum is not None and number < spec.minimum:
        return None, f"Must be at least {_fmt(spec.minimum)}."
    if spec.maximum is not None and number > spec.maximum:
        return None, f"Must be at most {_fmt(spec.maximum)}."
    return coerced, None


def _fmt(number: float) -> str:
    from credit_ml.messages import english_number  # local: messages imports formatting

    return english_number(number)


def _coerce_string(spec: FieldSpec, value: Any) -> tuple[str | None, str | None]:
    if not isinstance(value, str):
        return None, "Must be a string."
    text = value.strip()
    if spec.max_length is not None and len(text) > spec.max_length:
        return None, f"Must be at most {spec.max_length} characters."
    if spec.choices:
        if text not in spec.choices:
            return None, f"Must be one of: {', '.join(spec.choices)}."
        return text, None
    if spec.required and not text:
        return None, "Must not be blank."
    return text, None


def validate_record(
    schema: ApplicationSchema,
    record: Mapping[str, Any],
    *,
    identity_checks: bool = True,
    today: date | None = None,
    lang: str = "en",
) -> dict[str, Any]:
    """Return the record's cleaned values or raise ``ValidationFailed`` naming every field.

    Unknown fields are refused; optional fields absent or null become ``None``. With
    ``identity_checks`` and ``today`` (the decision date the caller decides on), a
    well-formed NIK is also checked against ``gender`` and ``age``
    (``identity.nik_cross_problems``); a mismatch names both fields. The messages are in
    ``lang`` ("en" or "id", ``messages.localise``).
    """
    from credit_ml import identity  # local: identity imports this module

    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name in record:
        if name not in schema.names:
            errors.setdefault(name, []).append("Unknown field.")
    for spec in schema.fields:
        value = record.get(spec.name)
        if value is None:
            if spec.required:
                errors.setdefault(spec.name, []).append("This field is required.")
            cleaned[spec.name] = None
            continue
        coerced: Any
        problem: str | None
        if spec.dtype == "str":
            coerced, problem = _coerce_string(spec, value)
        else:
            coerced, problem = _coerce_number(spec, value)
        if problem:
            errors.setdefault(spec.name, []).append(problem)
        cleaned[spec.name] = coerced
    if identity_checks:
        for name, problem in identity.identity_problems(cleaned, on=today).items():
            errors.setdefault(name, []).append(problem)
    if identity_checks and today is not None:
        for name, problem in identity.nik_cross_problems(cleaned, on=today).items():
            errors.setdefault(name, []).append(problem)
    for name, problem in consistency_problems(cleaned).items():
        errors.setdefault(name, []).append(problem)
    if errors:
        from credit_ml.messages import localise

        raise ValidationFailed(
            {name: [localise(m, lang) for m in messages] for name, messages in errors.items()}
        )
    return cleaned


#: The youngest age at which Indonesian law allows regular work (UU 13/2003 Art. 68-69).
WORKING_AGE = 15


def consistency_problems(values: Mapping[str, Any]) -> dict[str, str]:
    """Cross-field checks that no single field's bounds can express."""
    problems: dict[str, str] = {}
    age, experience = values.get("age"), values.get("work_experience_years")
    if isinstance(age, int) and isinstance(experience, (int, float)):
        working_life = max(age - WORKING_AGE, 0)
        if experience > working_life:
            problems["work_experience_years"] = (
                f"Cannot exceed the working life the age allows ({working_life} years)."
            )
    income, existing = values.get("monthly_income"), values.get("existing_monthly_installments")
    if (
        isinstance(income, (int, float))
        and isinstance(existing, (int, float))
        and existing > 10 * income
    ):
        problems["existing_monthly_installments"] = "Cannot exceed ten times the monthly income."
    return problems
