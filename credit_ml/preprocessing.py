"""Encoding of application fields into the model's float32 matrix.

An ``Encoder`` is learnt from the training frame only (``fit_encoder``) and then applied
in two equivalent ways:

* ``Encoder.transform(frame)``: vectorised pandas/numpy, the training path;
* ``Encoder.encode_many(records)``: cleaned application dicts, column by column with dict
  look-ups and numpy, no pandas (the scoring path, for one application or many).

Both give bit-identical float32 rows. Column layout, in schema order:

* numeric field: one raw float column named after the field (missing → NaN);
* ordinal field: one column holding the index in ``FieldSpec.choices`` (missing or
  unknown → NaN);
* categorical field: one 0/1 column per category learnt from training, named
  ``field=CATEGORY`` (missing, unseen or rare → all zeros);
* derived feature (``credit_ml.features.derive_features``): one raw float column.

No imputation: XGBoost routes NaN down a learnt default branch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from credit_ml.features import FeatureConfig, derive_features, derive_rows, record_block
from credit_ml.schema import ApplicationSchema, FieldKind

ENCODER_FORMAT = "kreditax.encoder/1"

NUMERIC = "numeric"
ORDINAL = "ordinal"
CATEGORICAL = "categorical"
DERIVED = "derived"
_KINDS = (NUMERIC, ORDINAL, CATEGORICAL, DERIVED)

Matrix = npt.NDArray[np.float32]


class EncodingError(ValueError):
    """The input cannot be encoded (a column is missing, a number is not a number)."""


@dataclass(frozen=True)
class EncodedField:
    """One model input and its columns.

    ``categories``: for an ordinal field, ``FieldSpec.choices`` in order (the value's index
    is the encoding); for a categorical field, the categories learnt from training, one
    one-hot column each; empty for numeric and derived inputs.
    """

    name: str
    kind: str
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise EncodingError(f"{self.name}: unknown encoding kind {self.kind!r}.")

    @property
    def columns(self) -> tuple[str, ...]:
        if self.kind == CATEGORICAL:
            return tuple(f"{self.name}={category}" for category in self.categories)
        return (self.name,)


@dataclass(frozen=True)
class _Plan:
    """Lookup tables for ``Encoder.encode_each``, derived once from the encoder's plain
    data; ``width`` is the number of columns."""

    numeric: tuple[tuple[str, int], ...]
    ordinal: tuple[tuple[str, int, dict[str, float]], ...]
    categorical: tuple[tuple[str, dict[str, int]], ...]
    derived: tuple[tuple[str, int], ...]
    width: int

    @property
    def numeric_positions(self) -> list[int]:
        return [position for _, position in self.numeric]

    @property
    def ordinal_positions(self) -> list[int]:
        return [position for _, position, _ in self.ordinal]

    @property
    def derived_positions(self) -> list[int]:
        return [position for _, position in self.derived]


@dataclass(frozen=True)
class Encoder:
    """The learnt encoding: plain data only (strings, floats and tuples), JSON round-trip.

    ``derived_inputs`` are the application fields ``derive_features`` reads;
    ``default_annual_interest_rate`` is the ``FeatureConfig`` used at training.
    """

    schema_version: str
    fields: tuple[EncodedField, ...]
    derived_inputs: tuple[str, ...] = ()
    default_annual_interest_rate: float = FeatureConfig().default_annual_interest_rate

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """Encoded column names, e.g. ``education``, ``housing_type=OWN``, ``dsr``."""
        return tuple(column for spec in self.fields for column in spec.columns)

    @cached_property
    def column_groups(self) -> tuple[str, ...]:
        """For each column, the application field or derived feature it belongs to."""
        return tuple(spec.name for spec in self.fields for _ in spec.columns)

    @property
    def feature_config(self) -> FeatureConfig:
        return FeatureConfig(default_annual_interest_rate=self.default_annual_interest_rate)

    @property
    def input_fields(self) -> tuple[str, ...]:
        """Application fields a frame or a record must carry to be encoded."""
        names = [spec.name for spec in self.fields if spec.kind != DERIVED]
        return tuple(dict.fromkeys([*names, *self.derived_inputs]))

    def monotone_constraints(self, schema: ApplicationSchema) -> tuple[int, ...]:
        """Per column: +1/-1/0 from ``FieldSpec.monotone`` or ``DerivedFeature.monotone``.

        One-hot columns are never constrained (0).
        """
        directions = {spec.name: spec.monotone for spec in schema.fields}
        directions.update({feature.name: feature.monotone for feature in schema.derived})
        return tuple(
            0 if spec.kind == CATEGORICAL else int(directions.get(spec.name, 0))
            for spec in self.fields
            for _ in spec.columns
        )

    # ---- the training / batch path ---------------------------------------------------

    def transform(self, frame: pd.DataFrame) -> Matrix:
        """Encode every row of ``frame``: float32, shape ``(len(frame), len(columns))``."""
        missing = [name for name in self.input_fields if name not in frame.columns]
        if missing:
            raise EncodingError(f"Missing columns: {', '.join(missing)}.")
        out = np.zeros((len(frame), len(self.columns)), dtype=np.float32)
        position = 0
        for spec in self.fields:
            if spec.kind != DERIVED:
                _fill_field(out, position, spec, frame[spec.name])
            position += len(spec.columns)
        self._fill_derived(out, {name: _numeric(frame[name], name) for name in self.derived_inputs})
        return out

    def _fill_derived(self, out: Matrix, inputs: Mapping[str, npt.ArrayLike]) -> None:
        if not self._plan.derived:
            return
        values = _derive(inputs, self.feature_config)
        for name, position in self._plan.derived:
            out[:, position] = values[name]

    # ---- the scoring path ------------------------------------------------------------

    @cached_property
    def _plan(self) -> _Plan:
        numeric, ordinal, categorical, derived = [], [], [], []
        position = 0
        for spec in self.fields:
            if spec.kind == NUMERIC:
                numeric.append((spec.name, position))
            elif spec.kind == ORDINAL:
                index = {value: float(i) for i, value in enumerate(spec.categories)}
                ordinal.append((spec.name, position, index))
            elif spec.kind == CATEGORICAL:
                slots = {value: position + i for i, value in enumerate(spec.categories)}
                categorical.append((spec.name, slots))
            else:
                derived.append((spec.name, position))
            position += len(spec.columns)
        return _Plan(tuple(numeric), tuple(ordinal), tuple(categorical), tuple(derived), position)

    @cached_property
    def number_fields(self) -> tuple[str, ...]:
        """The application fields encoding reads as numbers, in the order it reads them:
        the numeric fields, then the inputs of derived features."""
        numeric = [spec.name for spec in self.fields if spec.kind == NUMERIC]
        return tuple(dict.fromkeys([*numeric, *self.derived_inputs]))

    def encode_many(
        self,
        records: Sequence[Mapping[str, Any]],
        *,
        columns: Mapping[str, npt.NDArray[np.float64]] | None = None,
        plain: npt.NDArray[np.bool_] | None = None,
    ) -> Matrix:
        """Encode cleaned applications (``validate_record`` output): float32, ``(n, k)``.

        Optional fields may be ``None``. Row ``i`` equals the matching row of ``transform``.
        An application that cannot be encoded raises its error (the first such
        application's, at its first field in ``number_fields`` order); ``encode_each``
        reports each in its place instead.
        """
        rows, errors = self.encode_each(records, columns=columns, plain=plain)
        if errors:
            raise errors[min(errors)]
        return rows

    def encode_each(
        self,
        records: Sequence[Mapping[str, Any]],
        *,
        columns: Mapping[str, npt.NDArray[np.float64]] | None = None,
        plain: npt.NDArray[np.bool_] | None = None,
        derived: Mapping[str, npt.NDArray[np.float64]] | None = None,
    ) -> tuple[Matrix, dict[int, Exception]]:
        """``encode_many`` that gives, by position, the error of each application that
        cannot be encoded (``EncodingError`` for a value that is not a number, the
        ``FeatureInputError`` of its derived features...); its row is left zero.

        ``columns`` and ``plain``: ``record_columns(records, names)`` for names including
        ``number_fields``, to save reading them again. ``derived``: the records' derived
        features already worked out (``derive_rows`` of the same numbers with this
        encoder's ``feature_config``), to save deriving them again; the caller then has
        the errors of the applications they refuse.
        """
        plan = self._plan
        out = np.zeros((len(records), plan.width), dtype=np.float32)
        if not records:
            return out, {}
        numbers, errors = self._numbers(records, columns, plain)
        if plan.numeric:
            out[:, plan.numeric_positions] = numbers[: len(plan.numeric)].T
        if plan.ordinal:
            out[:, plan.ordinal_positions] = [
                [_choice_index(values.get(name), index) for name, _, index in plan.ordinal]
                for values in records
            ]
        rows: list[int] = []
        cells: list[int] = []
        for row, values in enumerate(records):
            for name, slots in plan.categorical:
                value = values.get(name)
                slot = slots.get(value) if isinstance(value, str) else None
                if slot is not None:
                    rows.append(row)
                    cells.append(slot)
        out[rows, cells] = 1.0
        if plan.derived:
            if derived is None:
                derived = self._derived_each(numbers, errors)
            out[:, plan.derived_positions] = np.stack(
                [derived[name] for name, _ in plan.derived], axis=1
            )
        for row in errors:
            out[row] = 0.0
        return out, errors

    def _numbers(
        self,
        records: Sequence[Mapping[str, Any]],
        columns: Mapping[str, npt.NDArray[np.float64]] | None,
        plain: npt.NDArray[np.bool_] | None,
    ) -> tuple[npt.NDArray[np.float64], dict[int, Exception]]:
        """``number_fields`` as one float64 array, a row per field (``record_block``): the
        values of an application that are not plain are read one at a time, and one that
        is not a number is its application's error."""
        names = self.number_fields
        if columns is None or plain is None:
            numbers, plain = record_block(records, names)
        else:
            numbers = np.stack([columns[name] for name in names])
        errors: dict[int, Exception] = {}
        for row in np.flatnonzero(~plain).tolist():
            values = records[row]
            for j, name in enumerate(names):
                try:
                    numbers[j, row] = _scalar(values.get(name), name)
                except Exception as exc:  # what encoding this application alone raises
                    errors[row] = exc
                    break
        return numbers, errors

    def _derived_each(
        self, numbers: npt.NDArray[np.float64], errors: dict[int, Exception]
    ) -> dict[str, npt.NDArray[np.float64]]:
        """The derived features of each application from its ``numbers``; the error of an
        application they refuse goes to ``errors``."""
        at = {name: j for j, name in enumerate(self.number_fields)}
        inputs = {name: numbers[at[name]] for name in self.derived_inputs}
        try:
            derived, refused = derive_rows(inputs, self.feature_config)
        except KeyError as exc:
            raise EncodingError(f"Derived features need the field {exc.args[0]}.") from None
        for row, error in refused.items():
            errors.setdefault(row, error)
        return derived

    # ---- serialisation ---------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``columns`` is included for readers and checked on load."""
        return {
            "format": ENCODER_FORMAT,
            "schema_version": self.schema_version,
            "default_annual_interest_rate": self.default_annual_interest_rate,
            "derived_inputs": list(self.derived_inputs),
            "fields": [
                {"name": spec.name, "kind": spec.kind, "categories": list(spec.categories)}
                for spec in self.fields
            ],
            "columns": list(self.columns),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Encoder:
        if data.get("format") != ENCODER_FORMAT:
            raise EncodingError(f"Not a {ENCODER_FORMAT} encoder: {data.get('format')!r}.")
        encoder = cls(
            schema_version=str(data["schema_version"]),
            fields=tuple(
                EncodedField(str(f["name"]), str(f["kind"]), tuple(map(str, f["categories"])))
                for f in data["fields"]
            ),
            derived_inputs=tuple(map(str, data["derived_inputs"])),
            default_annual_interest_rate=float(data["default_annual_interest_rate"]),
        )
        if "columns" in data and tuple(data["columns"]) != encoder.columns:
            raise EncodingError("The encoder's columns do not match its fields.")
        return encoder


#: Per categorical model field, how often each text value occurs (``category_counts``).
CategoryCounts = dict[str, dict[str, int]]


def fit_encoder(
    frame: pd.DataFrame,
    *,
    schema: ApplicationSchema,
    feature_config: FeatureConfig,
    min_frequency: int = 1,
) -> Encoder:
    """Learn the encoding from the training rows in ``frame`` (and nothing else).

    Categorical fields keep the string categories seen at least ``min_frequency`` times, in
    the order of ``FieldSpec.choices`` (values outside the choices follow, sorted).
    ``derive_features`` raises ``FeatureInputError`` on zero or missing income.
    Model inputs are ``schema.model_fields`` (no identity, no excluded protected field)
    followed by ``schema.derived``. The same as ``encoder_from_counts`` of
    ``category_counts(frame)``, which is how a Dask cluster learns it from its partitions.
    """
    if min_frequency < 1:
        raise ValueError("min_frequency must be at least 1.")
    return encoder_from_counts(
        category_counts(frame, schema=schema),
        schema=schema,
        feature_config=feature_config,
        min_frequency=min_frequency,
    )


def category_counts(frame: pd.DataFrame, *, schema: ApplicationSchema) -> CategoryCounts:
    """How often each text value occurs in each categorical model field of ``frame``
    (missing and non-text values left out); counts of row sets add up (``add_counts``)."""
    counts: CategoryCounts = {}
    for spec in schema.model_fields:
        if spec.kind is not FieldKind.CATEGORICAL:
            continue
        if spec.name not in frame.columns:
            raise EncodingError(f"Missing columns: {spec.name}.")
        seen = frame[spec.name].dropna().value_counts()
        counts[spec.name] = {v: int(n) for v, n in seen.items() if isinstance(v, str)}
    return counts


def add_counts(*parts: CategoryCounts) -> CategoryCounts:
    """The category counts of the union of the row sets the ``parts`` were counted on."""
    total: CategoryCounts = {}
    for part in parts:
        for name, seen in part.items():
            into = total.setdefault(name, {})
            for value, n in seen.items():
                into[value] = into.get(value, 0) + n
    return total


def encoder_from_counts(
    counts: CategoryCounts,
    *,
    schema: ApplicationSchema,
    feature_config: FeatureConfig,
    min_frequency: int = 1,
) -> Encoder:
    """The encoder ``fit_encoder`` learns from training rows whose ``category_counts``
    are ``counts``."""
    if min_frequency < 1:
        raise ValueError("min_frequency must be at least 1.")
    fields: list[EncodedField] = []
    for spec in schema.model_fields:
        if spec.kind is FieldKind.CATEGORICAL:
            if spec.name not in counts:
                raise EncodingError(f"Missing columns: {spec.name}.")
            categories = _learn_categories(counts[spec.name], spec.choices, min_frequency)
            fields.append(EncodedField(spec.name, CATEGORICAL, categories))
        elif spec.kind is FieldKind.ORDINAL:
            fields.append(EncodedField(spec.name, ORDINAL, spec.choices))
        else:
            fields.append(EncodedField(spec.name, NUMERIC))
    fields.extend(EncodedField(feature.name, DERIVED) for feature in schema.derived)
    inputs = dict.fromkeys(name for feature in schema.derived for name in feature.inputs)
    return Encoder(
        schema_version=schema.version,
        fields=tuple(fields),
        derived_inputs=tuple(inputs),
        default_annual_interest_rate=feature_config.default_annual_interest_rate,
    )


def _learn_categories(
    counts: Mapping[str, int], choices: tuple[str, ...], min_frequency: int
) -> tuple[str, ...]:
    kept = [value for value, count in counts.items() if count >= min_frequency]
    rank = {choice: i for i, choice in enumerate(choices)}
    return tuple(sorted(kept, key=lambda value: (rank.get(value, len(rank)), value)))


def _fill_field(out: Matrix, position: int, spec: EncodedField, column: pd.Series) -> None:
    if spec.kind == NUMERIC:
        out[:, position] = _numeric(column, spec.name)
        return
    codes = pd.Index(spec.categories, dtype=object).get_indexer(column.astype(object))
    known = codes >= 0
    if spec.kind == ORDINAL:
        out[:, position] = np.where(known, codes, np.nan)
    else:
        rows = np.flatnonzero(known)
        out[rows, position + codes[rows]] = 1.0


def _numeric(column: pd.Series, name: str) -> npt.NDArray[np.float64]:
    try:
        values: npt.NDArray[np.float64] = column.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise EncodingError(f"{name}: must be numeric.") from None
    return values


def _choice_index(value: Any, index: Mapping[str, float]) -> float:
    """An ordinal value's index in its choices; NaN when missing or unknown."""
    return index.get(value, np.nan) if isinstance(value, str) else np.nan


def _scalar(value: Any, name: str) -> float:
    if value is None:
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise EncodingError(f"{name}: must be numeric.") from None


def _derive(
    inputs: Mapping[str, npt.ArrayLike], config: FeatureConfig
) -> dict[str, npt.NDArray[np.float64]]:
    try:
        return derive_features(inputs, config)
    except KeyError as exc:
        raise EncodingError(f"Derived features need the field {exc.args[0]}.") from None
