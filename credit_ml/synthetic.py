"""Synthetic Indonesian retail-credit applications with a known, documented default risk.

``generate_applications(rows, seed)`` returns one row per application with every field of
``INDONESIAN_SCHEMA`` (identity fields included, all fake but well-formed), the label
``is_default`` (0/1) and ``true_pd``, the probability of default the generator drew the label
from. Everything is vectorised numpy (no loop over rows); the same seed gives the same
frame with the same numpy version (``numpy.random.default_rng``, PCG64).

How the applicants are drawn (money in rupiah, rates per year, terms in months)
-------------------------------------------------------------------------------
* Province by population (Jawa Barat, Jawa Timur, Jawa Tengah largest); age 21 to 65
  (``21 + floor(45 * Beta(2, 3.2))``, mean about 38); gender; marital status by age;
  education (SMA most common; no S2 before 23, no S3 before 27); employment (UNEMPLOYED 2 %).
* Work experience: a share of the years since leaving school, never more than ``age - 15``.
* Monthly income: log-normal, ``log income = log 4.6 M + region + education + 0.02 *
  min(experience, 25) + employment + noise`` (noise sd 0.35 to 0.65 by employment), median
  about Rp 6 million; DKI Jakarta x1.55, eastern provinces x0.7 to 0.9; unemployed
  applicants have about a third of the income.
* Credit-bureau fields come from a hidden "financial stress" draw ``z ~ N(0, 1)`` so that they
  correlate with one another as in real bureau data: about 15 % have no SLIK history
  (``worst_collectibility_24m`` missing, no delinquencies, no credit card);
  ``past_delinquencies ~ Poisson(0.15 * exp(0.9 z))``; the worst collectibility is 1 (rarely 2)
  without delinquencies, else ``2 + Poisson(0.35 * delinquencies)`` capped at 5; credit-card
  utilisation ``sigmoid(N(-0.7 + 0.8 z, 1))`` for card holders, 0 otherwise;
  ``active_lending_platforms ~ Poisson(0.6 * exp(0.5 z))`` capped at 6, 8 % missing.
* The loan purpose (working capital mostly for the self-employed) sets the loan size
  (``income * LogNormal(log multiple, 0.55)``, rounded to Rp 100,000), the term (a purpose's
  own choice of 3 to 60 months) and the interest rate (10 % to 36 % a year, 5 % missing).
* Existing installments (a log-normal share of income, more likely with SLIK history and
  stress) and total existing debt (installments times a remaining-term multiple plus the
  credit-card balance).

The latent risk model (``latent_logit``)
----------------------------------------
The label depends on OBSERVED fields and derived features only: ``z`` shapes the inputs
but not the label given them, so ``roc_auc_score(is_default, true_pd)`` is the best AUC
any model can reach on this data (the ceiling)::

    logit = -4.4
          + 1.2 * min(dsr, 2) + 1.8 * sigmoid((dsr - 0.6) / 0.12)     # DSR, increasing
          + 0.85 * log(1 + past_delinquencies)                         # increasing
          + {1: 0, 2: 0.6, 3: 1.2, 4: 1.6, 5: 1.9, missing: 0.3}[kol]  # increasing
          + 1.3 * credit_card_utilization ** 1.5                       # increasing
          + 0.22 * platforms + 0.5 * sigmoid((platforms - 3.5) / 0.4)  # increasing
            (missing platforms: +0.35)
          - 0.55 * log(monthly_income / 6,000,000)                     # decreasing
          + EMPLOYMENT_EFFECT[employment] + HOUSING_EFFECT[housing]
          + PURPOSE_EFFECT[purpose] - 0.08 * education index (SD 0 .. S3 6)
          + 0.0009 * (age - 38) ** 2                                   # mild U-shape
    true_pd = sigmoid(logit);   is_default ~ Bernoulli(true_pd)

``dsr`` comes from ``credit_ml.features.derive_features`` (a missing interest rate uses the
configured default, exactly as the model sees it). Every term moves in the direction of the
schema's ``monotone`` markers. Gender and marital status have no effect (the model excludes
them). The result is a default rate of about 10 % and a ceiling AUC of about 0.83.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from credit_ml.datasets import column_dtypes
from credit_ml.features import FeatureConfig, derive_features
from credit_ml.schema import (
    EDUCATION,
    EMPLOYMENT,
    GENDER,
    HOUSING,
    INDONESIAN_SCHEMA,
    MARITAL,
    PROVINCE_CHOICES,
    PROVINCE_CODES,
    PROVINCES,
    PURPOSE,
    RP_MAX,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]

#: The date the ages are counted at; the birth dates inside the NIKs follow from it.
REFERENCE_DATE = date(2026, 1, 1)
LABEL = "is_default"
TRUE_PD = "true_pd"

_STR = np.dtypes.StringDType()

# --------------------------------------------------------------------------------------
# Population: weights are relative, normalised where used
# --------------------------------------------------------------------------------------

#: Population in millions (BPS 2020 census, the 2022 Papua split estimated), by NIK code.
PROVINCE_POPULATION: dict[str, float] = {
    "11": 5.3, "12": 14.8, "13": 5.5, "14": 6.4, "15": 3.5, "16": 8.5, "17": 2.0,
    "18": 9.0, "19": 1.5, "21": 2.1, "31": 10.6, "32": 48.3, "33": 36.5, "34": 3.7,
    "35": 41.0, "36": 11.9, "51": 4.3, "52": 5.3, "53": 5.3, "61": 5.4, "62": 2.7,
    "63": 4.1, "64": 3.8, "65": 0.7, "71": 2.6, "72": 3.0, "73": 9.1, "74": 2.6,
    "75": 1.2, "76": 1.4, "81": 1.8, "82": 1.3, "91": 1.0, "92": 0.6, "93": 0.5,
    "94": 1.4, "95": 1.4, "96": 0.6,
}  # fmt: skip

#: Income level relative to the national median, by NIK province code.
PROVINCE_INCOME_LEVEL: dict[str, float] = {
    "11": 0.85, "12": 0.95, "13": 0.9, "14": 1.05, "15": 0.9, "16": 0.9, "17": 0.85,
    "18": 0.85, "19": 1.0, "21": 1.25, "31": 1.55, "32": 1.0, "33": 0.85, "34": 0.85,
    "35": 0.92, "36": 1.12, "51": 1.05, "52": 0.75, "53": 0.7, "61": 0.88, "62": 0.95,
    "63": 0.95, "64": 1.25, "65": 1.1, "71": 0.95, "72": 0.82, "73": 0.92, "74": 0.82,
    "75": 0.8, "76": 0.75, "81": 0.78, "82": 0.8, "91": 0.9, "92": 0.85, "93": 0.75,
    "94": 0.75, "95": 0.7, "96": 0.85,
}  # fmt: skip

AGE_MIN, AGE_SPAN = 21, 45  # ages 21..65
EDUCATION_WEIGHTS = (0.07, 0.11, 0.42, 0.09, 0.25, 0.05, 0.01)
#: Age at which work can start after each education level (SD..S3).
EDUCATION_WORK_START = (15, 16, 18, 21, 22, 24, 27)
EDUCATION_INCOME = (-0.45, -0.3, 0.0, 0.2, 0.4, 0.7, 0.9)  # log income
EMPLOYMENT_WEIGHTS = (0.34, 0.17, 0.08, 0.18, 0.08, 0.13, 0.02)
EMPLOYMENT_INCOME = (0.0, -0.15, 0.05, -0.05, 0.3, -0.2, -1.1)  # log income
EMPLOYMENT_INCOME_SD = (0.35, 0.45, 0.3, 0.6, 0.65, 0.55, 0.5)
MEDIAN_INCOME_BASE = 4_600_000.0  # Rp/month for SMA, permanent, no experience, level 1.0

# --------------------------------------------------------------------------------------
# Loans
# --------------------------------------------------------------------------------------

PURPOSE_WEIGHTS = (0.25, 0.15, 0.10, 0.07, 0.16, 0.07, 0.08, 0.12)
#: Median loan size as a multiple of monthly income, by purpose.
PURPOSE_INCOME_MULTIPLE = (1.5, 5.0, 6.0, 3.0, 4.0, 1.5, 4.0, 1.2)
LOAN_SIZE_SD = 0.55  # log scale
PURPOSE_RATE = (0.22, 0.12, 0.13, 0.11, 0.18, 0.20, 0.16, 0.26)  # rate per year
RATE_SD, RATE_MIN, RATE_MAX, RATE_MISSING = 0.025, 0.10, 0.36, 0.05
TERMS = (3, 6, 12, 18, 24, 36, 48, 60)
#: Probability of each of ``TERMS`` by purpose (rows follow ``PURPOSE``).
PURPOSE_TERM_WEIGHTS = (
    (0.15, 0.25, 0.35, 0.10, 0.15, 0.0, 0.0, 0.0),
    (0.0, 0.0, 0.10, 0.05, 0.20, 0.35, 0.15, 0.15),
    (0.0, 0.0, 0.20, 0.10, 0.30, 0.25, 0.10, 0.05),
    (0.0, 0.20, 0.40, 0.15, 0.25, 0.0, 0.0, 0.0),
    (0.10, 0.20, 0.30, 0.15, 0.15, 0.10, 0.0, 0.0),
    (0.25, 0.30, 0.30, 0.15, 0.0, 0.0, 0.0, 0.0),
    (0.0, 0.0, 0.25, 0.20, 0.30, 0.15, 0.10, 0.0),
    (0.30, 0.30, 0.25, 0.0, 0.15, 0.0, 0.0, 0.0),
)
LOAN_MIN = 500_000.0

# --------------------------------------------------------------------------------------
# The latent risk model (see the module docstring)
# --------------------------------------------------------------------------------------

INTERCEPT = -4.4
COLLECTIBILITY_EFFECT = (0.0, 0.6, 1.2, 1.6, 1.9)  # Kol 1..5
NO_HISTORY_EFFECT = 0.3
NO_PLATFORM_DATA_EFFECT = 0.35
EMPLOYMENT_EFFECT = (0.0, 0.25, -0.4, 0.2, 0.05, 0.4, 0.9)
HOUSING_EFFECT = (-0.2, -0.1, 0.1, 0.25, 0.0)
PURPOSE_EFFECT = (0.0, -0.1, -0.05, 0.0, 0.1, 0.15, 0.3, 0.1)
REFERENCE_INCOME = 6_000_000.0
#: The feature configuration whose default interest rate fills missing rates in the DSR.
FEATURE_CONFIG = FeatureConfig()


def generate_applications(
    rows: int, seed: int, *, reference_date: date = REFERENCE_DATE
) -> pd.DataFrame:
    """``rows`` synthetic applications drawn with ``seed``, ages counted at ``reference_date``.

    Columns: every ``INDONESIAN_SCHEMA`` field in schema order, then ``is_default`` (int64,
    0/1) and ``true_pd`` (float64). Dtypes follow ``credit_ml.datasets.column_dtypes``:
    optional int fields are nullable ``Int64``.
    """
    if rows < 0:
        raise ValueError("rows must not be negative")
    rng = np.random.default_rng(seed)
    applicants = _applicants(rng, rows)
    income = _income(rng, applicants)
    bureau = _bureau(rng, applicants, income)
    loan = _loan(rng, applicants, income)
    obligations = _obligations(rng, applicants, income, bureau)
    columns = {
        **_arrays(applicants),
        "monthly_income": income,
        **_arrays(bureau),
        **_arrays(loan),
        **_arrays(obligations),
    }
    frame = _frame(columns, _identities(rng, applicants, seed, reference_date))
    frame[TRUE_PD] = default_probability(frame)
    frame[LABEL] = (rng.random(rows) < frame[TRUE_PD].to_numpy()).astype(np.int64)
    return frame[[*INDONESIAN_SCHEMA.names, LABEL, TRUE_PD]]


# --------------------------------------------------------------------------------------
# Sampling helpers
# --------------------------------------------------------------------------------------


def _sigmoid(x: npt.ArrayLike) -> FloatArray:
    clipped = np.clip(np.asarray(x, dtype=np.float64), -50.0, 50.0)
    return np.asarray(1.0 / (1.0 + np.exp(-clipped)), dtype=np.float64)


def _choice(rng: np.random.Generator, weights: Sequence[float], size: int) -> IntArray:
    """Indices drawn with probabilities proportional to ``weights``."""
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=size, p=p / p.sum()).astype(np.int64)


def _choice_by_row(rng: np.random.Generator, weights: FloatArray) -> IntArray:
    """One index per row of ``weights`` (rows x options), proportional to that row."""
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cumulative[:, -1]
    picked = (u[:, None] >= cumulative).sum(axis=1)
    index: IntArray = np.minimum(picked, weights.shape[1] - 1).astype(np.int64)
    return index


def _round_to(values: FloatArray, step: float) -> FloatArray:
    return np.round(values / step) * step


# --------------------------------------------------------------------------------------
# Applicant, income, bureau, loan, obligations: category fields as indices into the choices
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Applicants:
    province: IntArray  # index into PROVINCE_CODES
    age: IntArray  # years
    gender: IntArray
    marital_status: IntArray
    education: IntArray
    employment_status: IntArray
    work_experience_years: FloatArray


@dataclass(frozen=True)
class _Bureau:
    stress: FloatArray  # hidden: shapes the bureau fields, never the label
    has_card: BoolArray
    past_delinquencies: IntArray
    worst_collectibility_24m: FloatArray  # NaN: no SLIK history
    credit_card_utilization: FloatArray
    active_lending_platforms: FloatArray  # NaN: not reported


@dataclass(frozen=True)
class _Loan:
    loan_purpose: IntArray
    loan_amount: FloatArray  # rupiah
    loan_term_months: IntArray
    annual_interest_rate: FloatArray  # NaN: not given


@dataclass(frozen=True)
class _Obligations:
    existing_monthly_installments: FloatArray  # rupiah per month
    total_existing_debt: FloatArray  # rupiah
    housing_type: IntArray


def _arrays(draws: _Applicants | _Bureau | _Loan | _Obligations) -> dict[str, npt.NDArray[Any]]:
    """A stage's arrays by field name (no copies, unlike ``dataclasses.asdict``)."""
    return {spec.name: getattr(draws, spec.name) for spec in fields(draws)}


def _applicants(rng: np.random.Generator, n: int) -> _Applicants:
    """Province, age, gender, marital status, education, employment and experience."""
    age = AGE_MIN + np.floor(AGE_SPAN * rng.beta(2.0, 3.2, n)).astype(np.int64)
    education = _choice(rng, EDUCATION_WEIGHTS, n)
    education = np.where((education == 6) & (age < 27), 5, education)
    education = np.where((education == 5) & (age < 23), 4, education)
    employment = _choice(rng, EMPLOYMENT_WEIGHTS, n)
    civil_without_school = (employment == 2) & (education < 2)
    employment = np.where(civil_without_school, 1, employment)
    start = np.asarray(EDUCATION_WORK_START)[education]
    potential = np.clip(age - start, 0, age - 15).astype(np.float64)
    share = rng.beta(4.0, 1.5, n) * np.where(employment == 6, 0.5, 1.0)
    return _Applicants(
        province=_choice(rng, [PROVINCE_POPULATION[c] for c in PROVINCE_CODES], n),
        age=age,
        gender=_choice(rng, (0.55, 0.45), n),
        marital_status=_marital(rng, age),
        education=education,
        employment_status=employment,
        work_experience_years=np.floor(potential * share * 10.0) / 10.0,
    )


def _marital(rng: np.random.Generator, age: IntArray) -> IntArray:
    """Mostly single before 28, then married; divorce and widowhood grow with age."""
    single = _sigmoid(-(age - 28.0) / 3.5)
    widowed = (1 - single) * np.clip((age - 40.0) / 250.0, 0.005, 0.1)
    divorced = (1 - single) * 0.07
    married = 1 - single - widowed - divorced
    return _choice_by_row(rng, np.column_stack([single, married, divorced, widowed]))


def _income(rng: np.random.Generator, a: _Applicants) -> FloatArray:
    """Monthly income in rupiah: log-normal by region, education, experience, employment."""
    n = len(a.age)
    region = np.log([PROVINCE_INCOME_LEVEL[code] for code in PROVINCE_CODES])[a.province]
    employment = a.employment_status
    log_income = (
        np.log(MEDIAN_INCOME_BASE)
        + region
        + np.asarray(EDUCATION_INCOME)[a.education]
        + 0.02 * np.minimum(a.work_experience_years, 25.0)
        + np.asarray(EMPLOYMENT_INCOME)[employment]
        + np.asarray(EMPLOYMENT_INCOME_SD)[employment] * rng.standard_normal(n)
    )
    return np.clip(_round_to(np.exp(log_income), 10_000.0), 300_000.0, 1_000_000_000.0)


def _bureau(rng: np.random.Generator, a: _Applicants, income: FloatArray) -> _Bureau:
    """SLIK history, delinquencies, collectibility, credit card, lending platforms."""
    n = len(a.age)
    stress = rng.standard_normal(n)
    log_income = np.log(income / REFERENCE_INCOME)
    no_history = rng.random(n) < _sigmoid(-0.8 - 0.06 * (a.age - 21.0) - 0.3 * log_income)
    delinquencies = rng.poisson(0.15 * np.exp(0.9 * stress)) * ~no_history
    collectibility = np.where(
        delinquencies > 0,
        np.minimum(2 + rng.poisson(0.35 * delinquencies), 5),
        1 + (rng.random(n) < 0.04),
    ).astype(np.float64)
    card_odds = -1.0 + 1.0 * log_income + 0.4 * (a.education >= 4)
    has_card = (rng.random(n) < _sigmoid(card_odds)) & ~no_history
    utilization = _sigmoid(rng.normal(-0.7 + 0.8 * stress, 1.0)) * has_card
    platforms = np.minimum(rng.poisson(0.6 * np.exp(0.5 * stress)), 6).astype(np.float64)
    return _Bureau(
        stress=stress,
        has_card=has_card,
        past_delinquencies=delinquencies.astype(np.int64),
        worst_collectibility_24m=np.where(no_history, np.nan, collectibility),
        credit_card_utilization=np.round(utilization, 2),
        active_lending_platforms=np.where(rng.random(n) < 0.08, np.nan, platforms),
    )


def _loan(rng: np.random.Generator, a: _Applicants, income: FloatArray) -> _Loan:
    """Purpose, then amount (a multiple of income), term and yearly interest rate."""
    n = len(a.age)
    weights = np.tile(np.asarray(PURPOSE_WEIGHTS), (n, 1))
    business = np.isin(a.employment_status, (3, 4))
    weights[:, 4] *= np.where(business, 4.0, 0.4)
    purpose = _choice_by_row(rng, weights)
    multiple = np.asarray(PURPOSE_INCOME_MULTIPLE)[purpose]
    amount = income * np.exp(np.log(multiple) + LOAN_SIZE_SD * rng.standard_normal(n))
    term = np.asarray(TERMS)[_choice_by_row(rng, np.asarray(PURPOSE_TERM_WEIGHTS)[purpose])]
    rate = np.asarray(PURPOSE_RATE)[purpose] + RATE_SD * rng.standard_normal(n)
    rate = np.round(_round_to(np.clip(rate, RATE_MIN, RATE_MAX), 0.0025), 4)
    return _Loan(
        loan_purpose=purpose,
        loan_amount=np.clip(_round_to(amount, 100_000.0), LOAN_MIN, RP_MAX),
        loan_term_months=term.astype(np.int64),
        annual_interest_rate=np.where(rng.random(n) < RATE_MISSING, np.nan, rate),
    )


def _obligations(
    rng: np.random.Generator, a: _Applicants, income: FloatArray, b: _Bureau
) -> _Obligations:
    """Existing monthly installments and total existing debt, in rupiah, and housing."""
    n = len(a.age)
    history = ~np.isnan(b.worst_collectibility_24m)
    odds = np.where(history, 0.1 + 0.4 * np.log(income / REFERENCE_INCOME), -1.7)
    has_loans = rng.random(n) < _sigmoid(odds + 0.3 * b.stress)
    share = np.clip(
        np.exp(np.log(0.16) + 0.15 * b.stress + 0.55 * rng.standard_normal(n)), 0.01, 1.5
    )
    installments = _round_to(income * share * has_loans, 1_000.0)
    card_limit = income * np.exp(np.log(2.5) + 0.4 * rng.standard_normal(n))
    card_balance = b.credit_card_utilization * card_limit * b.has_card
    remaining = np.exp(np.log(15.0) + 0.5 * rng.standard_normal(n))  # months of installments
    return _Obligations(
        existing_monthly_installments=installments,
        total_existing_debt=_round_to(installments * remaining + card_balance, 1_000.0),
        housing_type=_housing(rng, a.age, income, has_loans),
    )


def _housing(
    rng: np.random.Generator, age: IntArray, income: FloatArray, has_loans: BoolArray
) -> IntArray:
    """OWN with age, MORTGAGE with income and loans, FAMILY when young, some RENT/COMPANY."""
    log_income = np.log(income / REFERENCE_INCOME)
    logits = np.column_stack(
        [
            -1.0 + 0.06 * (age - 21.0),
            -1.6 + 0.8 * log_income + 0.6 * has_loans + 0.02 * (age - 21.0),
            1.0 - 0.07 * (age - 21.0),
            0.3 + 0.0 * age,
            -2.5 + 0.0 * age,
        ]
    )
    return _choice_by_row(rng, np.exp(logits))


# --------------------------------------------------------------------------------------
# Identity fields: fake but well-formed
# --------------------------------------------------------------------------------------

MALE_NAMES = (
    "Budi", "Agus", "Andi", "Dedi", "Eko", "Hendra", "Joko", "Rudi", "Slamet", "Wahyu",
    "Ahmad", "Muhammad", "Rizky", "Fajar", "Dimas", "Yoga", "Arif", "Bayu", "Teguh", "Heru",
    "Irfan", "Putu", "Made", "Komang", "Ketut", "Wayan", "Gede", "Yusuf", "Hasan", "Imam",
    "Bambang", "Sutrisno", "Hadi", "Adi", "Aditya", "Reza", "Fikri", "Rahmat", "Iwan", "Yudi",
    "Anton", "Doni", "Gilang", "Galih", "Ilham", "Taufik", "Surya", "Indra", "Hary", "Bagus",
)  # fmt: skip
FEMALE_NAMES = (
    "Siti", "Sri", "Dewi", "Ayu", "Putri", "Rina", "Wati", "Nur", "Fitri", "Indah",
    "Lestari", "Ratna", "Yuni", "Kartika", "Maya", "Nia", "Dian", "Ani", "Tuti", "Endang",
    "Wulan", "Intan", "Citra", "Anisa", "Nurul", "Eka", "Lia", "Novi", "Mega", "Ratih",
    "Sari", "Fitriani", "Ningsih", "Kadek", "Yanti", "Rini", "Desi", "Vina", "Melati", "Suci",
)  # fmt: skip
MIDDLE_NAMES = ("Dwi", "Tri", "Nur", "Adi", "Eka", "Putra", "Ayu", "Sri", "Dewi", "Rahma")
FAMILY_NAMES = (
    "Santoso", "Wijaya", "Saputra", "Pratama", "Kusuma", "Hidayat", "Nugroho", "Setiawan",
    "Gunawan", "Susanto", "Siregar", "Nasution", "Harahap", "Lubis", "Sinaga", "Simanjuntak",
    "Situmorang", "Hutapea", "Tambunan", "Rahman", "Hakim", "Firmansyah", "Kurniawan",
    "Hasibuan", "Manurung", "Wibowo", "Purnomo", "Hartono", "Halim", "Tanjung", "Handoko",
    "Suryadi", "Permana", "Ramadhan", "Maulana", "Fauzi", "Sihombing", "Mahendra", "Wirawan",
    "Prasetyo", "Utomo", "Rahayu", "Wulandari", "Handayani", "Tarigan", "Ginting", "Sembiring",
    "Latuconsina", "Rumbiak", "Wenda", "Mandagi", "Wowor", "Lumintang", "Hamzah", "Tahir",
    "Abdullah", "Marzuki", "Syahputra", "Batubara", "Pane",
)  # fmt: skip
STREETS = (
    "Merdeka", "Sudirman", "Diponegoro", "Gatot Subroto", "Ahmad Yani", "Pahlawan", "Veteran",
    "Kartini", "Gajah Mada", "Hayam Wuruk", "Imam Bonjol", "MH Thamrin", "Pemuda", "Pattimura",
    "Teuku Umar", "Cut Nyak Dien", "Mawar", "Melati", "Anggrek", "Kenanga", "Cempaka",
    "Flamboyan", "Raya Bogor", "Kaliurang", "Sisingamangaraja", "Hasanuddin", "Sam Ratulangi",
)  # fmt: skip
EMAIL_DOMAINS = ("gmail.com", "yahoo.co.id", "yahoo.com", "outlook.com", "ymail.com", "icloud.com")
EMAIL_DOMAIN_WEIGHTS = (0.62, 0.12, 0.1, 0.07, 0.04, 0.05)
#: Indonesian mobile prefixes after the leading 0 (Telkomsel, Indosat, XL, Axis, Tri, Smartfren).
PHONE_PREFIXES = (
    811, 812, 813, 821, 822, 823, 851, 852, 853, 814, 815, 816, 855, 856, 857, 858,
    817, 818, 819, 859, 877, 878, 831, 832, 833, 838, 895, 896, 897, 898, 899, 881, 882,
    883, 887, 888,
)  # fmt: skip
ADDRESS_SHARE = 0.85


def _identities(
    rng: np.random.Generator, a: _Applicants, seed: int, reference_date: date
) -> dict[str, StrArray]:
    """Application id, name, NIK, phone, e-mail and (for most rows) address, as strings."""
    n = len(a.age)
    birth = _birth_dates(rng, a.age, reference_date)
    first, last = _name_parts(rng, a.gender)
    digits = np.arange(1, n + 1).astype(_STR)
    return {
        "application_id": np.strings.add(f"SYN{seed}-", np.strings.zfill(digits, 7)),
        "full_name": _join_name(first, last),
        "nik": _niks(rng, a.province, a.gender, birth),
        "phone": _phones(rng, n),
        "email": _emails(rng, first, last, birth),
        "address": _addresses(rng, a.province),
    }


def _birth_dates(
    rng: np.random.Generator, age: IntArray, reference_date: date
) -> npt.NDArray[np.datetime64]:
    """A birth date per row such that the age at ``reference_date`` is exactly ``age``.

    The birth date lies in (reference - (age + 1) years, reference - age years].
    """
    latest = _years_before(reference_date, age)
    earliest = _years_before(reference_date, age + 1)
    span = (latest - earliest).astype(np.int64)  # 365 or 366 days
    offset = rng.integers(0, span)  # 0 .. span - 1
    days: npt.NDArray[np.datetime64] = latest - offset.astype("timedelta64[D]")
    return days


def _years_before(reference: date, years: IntArray) -> npt.NDArray[np.datetime64]:
    """``reference`` moved back by ``years`` (29 February becomes 28 February)."""
    year = (reference.year - years - 1970).astype("datetime64[Y]")
    month = year.astype("datetime64[M]") + (reference.month - 1)
    month_end = (month + 1).astype("datetime64[D]") - 1
    days: npt.NDArray[np.datetime64] = np.minimum(
        month.astype("datetime64[D]") + (reference.day - 1), month_end
    )
    return days


def _date_parts(days: npt.NDArray[np.datetime64]) -> tuple[IntArray, IntArray, IntArray]:
    """Day, month and year of each date."""
    months = days.astype("datetime64[M]")
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    month = months.astype(np.int64) % 12 + 1
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    return day, month, year


def _niks(
    rng: np.random.Generator,
    province: IntArray,
    gender: IntArray,
    birth: npt.NDArray[np.datetime64],
) -> StrArray:
    """16-digit NIKs: province, regency 01-79, district 01-40, DDMMYY (+40 for women), serial."""
    n = len(province)
    day, month, year = _date_parts(birth)
    code = np.asarray([int(p) for p in PROVINCE_CODES], dtype=np.int64)[province]
    regency = np.where(rng.random(n) < 0.8, rng.integers(1, 30, n), rng.integers(71, 80, n))
    parts = (
        (code, 10**14),
        (regency, 10**12),
        (rng.integers(1, 41, n), 10**10),
        (day + 40 * (gender == 1), 10**8),
        (month, 10**6),
        (year % 100, 10**4),
        (rng.integers(1, 5000, n), 1),
    )
    number = np.zeros(n, dtype=np.int64)
    for value, scale in parts:
        number += value.astype(np.int64) * scale
    return np.strings.zfill(number.astype(_STR), 16)


def _phones(rng: np.random.Generator, n: int) -> StrArray:
    """``08xx`` numbers with 7 to 9 subscriber digits (10 to 12 digits after the ``0``)."""
    prefix = np.asarray(PHONE_PREFIXES, dtype=np.int64)[rng.integers(0, len(PHONE_PREFIXES), n)]
    length = _choice(rng, (0.1, 0.7, 0.2), n) + 7
    subscriber = rng.integers(10 ** (length - 1), 10**length)
    return np.strings.add("0", (prefix * 10**length + subscriber).astype(_STR))


def _name_parts(rng: np.random.Generator, gender: IntArray) -> tuple[StrArray, StrArray]:
    """Given names (with a middle name for some) and family names (empty for about 20 %)."""
    n = len(gender)
    male = np.asarray(MALE_NAMES, dtype=_STR)[rng.integers(0, len(MALE_NAMES), n)]
    female = np.asarray(FEMALE_NAMES, dtype=_STR)[rng.integers(0, len(FEMALE_NAMES), n)]
    first = np.where(gender == 1, female, male)
    middle = np.asarray(MIDDLE_NAMES, dtype=_STR)[rng.integers(0, len(MIDDLE_NAMES), n)]
    first = np.where(
        rng.random(n) < 0.15, np.strings.add(np.strings.add(first, " "), middle), first
    )
    last = np.asarray(FAMILY_NAMES, dtype=_STR)[rng.integers(0, len(FAMILY_NAMES), n)]
    return first, np.where(rng.random(n) < 0.2, "", last)


def _join_name(first: StrArray, last: StrArray) -> StrArray:
    spaced = np.strings.add(np.strings.add(first, " "), last)
    return np.where(np.strings.str_len(last) > 0, spaced, first)


def _emails(
    rng: np.random.Generator,
    first: StrArray,
    last: StrArray,
    birth: npt.NDArray[np.datetime64],
) -> StrArray:
    """``first.last``, ``firstlast12``, ``first_last`` or ``first1990`` at a common provider."""
    n = len(first)
    given = np.strings.replace(np.strings.lower(first), " ", "")
    family = np.strings.lower(last)
    year = (birth.astype("datetime64[Y]").astype(np.int64) + 1970).astype(_STR)
    number = rng.integers(1, 100, n).astype(_STR)
    styles = (
        np.strings.add(np.strings.add(given, "."), family),
        np.strings.add(np.strings.add(given, family), number),
        np.strings.add(np.strings.add(given, "_"), family),
    )
    style = rng.integers(0, len(styles) + 1, n)
    local = np.strings.add(given, year)  # the style that needs no family name
    has_family = np.strings.str_len(family) > 0
    for index, candidate in enumerate(styles):
        local = np.where((style == index) & has_family, candidate, local)
    domain = np.asarray(EMAIL_DOMAINS, dtype=_STR)[_choice(rng, EMAIL_DOMAIN_WEIGHTS, n)]
    return np.strings.add(np.strings.add(local, "@"), domain)


def _addresses(rng: np.random.Generator, province: IntArray) -> StrArray:
    """``Jl. <street> No. <n>, RT 00x/RW 00y, <province>``; empty where none was given."""
    n = len(province)
    street = np.asarray(STREETS, dtype=_STR)[rng.integers(0, len(STREETS), n)]
    parts = (
        np.strings.add("Jl. ", street),
        np.strings.add(" No. ", rng.integers(1, 250, n).astype(_STR)),
        np.strings.add(", RT ", np.strings.zfill(rng.integers(1, 16, n).astype(_STR), 3)),
        np.strings.add("/RW ", np.strings.zfill(rng.integers(1, 13, n).astype(_STR), 3)),
        np.strings.add(", ", np.asarray(list(PROVINCES.values()), dtype=_STR)[province]),
    )
    address = parts[0]
    for part in parts[1:]:
        address = np.strings.add(address, part)
    return np.where(rng.random(n) < ADDRESS_SHARE, address, "")


# --------------------------------------------------------------------------------------
# Assembly and the label
# --------------------------------------------------------------------------------------

_CATEGORIES: dict[str, tuple[str, ...]] = {
    "province": PROVINCE_CHOICES,
    "gender": GENDER,
    "marital_status": MARITAL,
    "education": EDUCATION,
    "employment_status": EMPLOYMENT,
    "housing_type": HOUSING,
    "loan_purpose": PURPOSE,
}


def _frame(
    columns: Mapping[str, npt.NDArray[Any]], identities: Mapping[str, StrArray]
) -> pd.DataFrame:
    """The schema's columns with the dtypes of ``column_dtypes``; codes become labels."""
    dtypes = column_dtypes(INDONESIAN_SCHEMA)
    data: dict[str, pd.Series] = {}
    for name in INDONESIAN_SCHEMA.names:
        if name in identities:
            series = pd.Series(identities[name], dtype="str")
            data[name] = series.where(series != "") if name == "address" else series
        elif name in _CATEGORIES:
            labels = pd.Categorical.from_codes(columns[name], _CATEGORIES[name])
            data[name] = pd.Series(labels).astype("str")
        else:
            data[name] = pd.Series(columns[name]).astype(dtypes[name])
    return pd.DataFrame(data)


def latent_logit(frame: pd.DataFrame, config: FeatureConfig = FEATURE_CONFIG) -> FloatArray:
    """The generator's log-odds of default for each row (see the module docstring).

    Uses only the frame's application fields and ``derive_features``; ``config`` must be the
    feature configuration the model sees (its default interest rate fills missing rates).
    """
    dsr = derive_features(_numeric(frame), config)["dsr"]
    platforms = _float(frame["active_lending_platforms"])
    kol = _float(frame["worst_collectibility_24m"])
    kol_effect = np.asarray(COLLECTIBILITY_EFFECT)[np.nan_to_num(kol, nan=1.0).astype(int) - 1]
    return np.asarray(
        INTERCEPT
        + 1.2 * np.minimum(dsr, 2.0)
        + 1.8 * _sigmoid((dsr - 0.6) / 0.12)
        + 0.85 * np.log1p(_float(frame["past_delinquencies"]))
        + np.where(np.isnan(kol), NO_HISTORY_EFFECT, kol_effect)
        + 1.3 * _float(frame["credit_card_utilization"]) ** 1.5
        + np.where(
            np.isnan(platforms),
            NO_PLATFORM_DATA_EFFECT,
            0.22 * platforms + 0.5 * _sigmoid((platforms - 3.5) / 0.4),
        )
        - 0.55 * np.log(_float(frame["monthly_income"]) / REFERENCE_INCOME)
        + _effect(frame["employment_status"], EMPLOYMENT, EMPLOYMENT_EFFECT)
        + _effect(frame["housing_type"], HOUSING, HOUSING_EFFECT)
        + _effect(frame["loan_purpose"], PURPOSE, PURPOSE_EFFECT)
        - 0.08 * _codes(frame["education"], EDUCATION)
        + 0.0009 * (_float(frame["age"]) - 38.0) ** 2,
        dtype=np.float64,
    )


def default_probability(frame: pd.DataFrame, config: FeatureConfig = FEATURE_CONFIG) -> FloatArray:
    """``sigmoid(latent_logit(frame))``: the true probability of default of each row."""
    return _sigmoid(latent_logit(frame, config))


def _float(column: pd.Series) -> FloatArray:
    values: FloatArray = column.to_numpy(dtype=np.float64, na_value=np.nan)
    return values


def _numeric(frame: pd.DataFrame) -> dict[str, FloatArray]:
    names = (
        "monthly_income",
        "annual_interest_rate",
        "loan_amount",
        "existing_monthly_installments",
        "loan_term_months",
        "total_existing_debt",
    )
    return {name: _float(frame[name]) for name in names}


def _codes(column: pd.Series, choices: tuple[str, ...]) -> IntArray:
    codes: IntArray = pd.Categorical(column, categories=choices).codes.astype(np.int64)
    if (codes < 0).any():
        raise ValueError(f"{column.name}: values outside {choices}")
    return codes


def _effect(column: pd.Series, choices: tuple[str, ...], effects: Sequence[float]) -> FloatArray:
    return np.asarray(effects, dtype=np.float64)[_codes(column, choices)]
