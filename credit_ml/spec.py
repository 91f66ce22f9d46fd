"""A lender's own dataset, described by a spec file (YAML or JSON).

The spec names the target column and which of its values mean default, the feature
columns with their types, identity columns to drop, protected attributes (kept out of
the model, used for fairness reports), monotone directions and an optional weight
column. ``DatasetSpec.schema()`` builds an ``ApplicationSchema`` of the usual shape, so
the encoder, training, artifacts and scoring work unchanged; ``read_training_frame``
reads and checks the file and maps the target to 0/1.

Example (YAML)::

    name: german-credit
    version: "1"
    target: {column: creditability, default_values: [bad]}
    features:
      - {name: duration_in_month, type: numeric, monotone: 1}
      - {name: purpose, type: categorical}
      - {name: savings, type: ordinal, order: [low, medium, high]}
    drop: [customer_id]
    protected:
      - {name: age_in_years, type: numeric, bins: [0, 25, 35, 45, 55]}
    weight: null
    min_rows: 200
    # Cells holding one of these read as missing (default: "", NA, N/A, NULL, null, NaN, .)
    missing_values: ["", NA, N/A]
    # The model's decision: PD cut-offs, or shares of the holdout to approve and review
    thresholds: {approve_rate: 0.60, review_rate: 0.15}

A column may say ``missing: allowed`` (the file may leave it empty, and loan systems may
omit it or send null) or ``missing: refused`` (every row must hold a value); without it,
the file may have gaps and loan systems must send it (``required``, default true).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import yaml

from credit_ml.scaling import DecisionThresholds
from credit_ml.schema import ApplicationSchema, FieldKind, FieldSpec
from credit_ml.training import TargetRates, TrainingDataError

SPEC_FORMAT = "kreditax.dataset-spec/1"
DEFAULT_MIN_ROWS = 200
_KINDS = {"numeric": FieldKind.NUMERIC, "categorical": FieldKind.CATEGORICAL}
_KINDS["ordinal"] = FieldKind.ORDINAL
_TOP_KEYS = {"format", "name", "version", "target", "features", "drop", "protected"}
_TOP_KEYS |= {"weight", "min_rows", "description", "missing_values", "thresholds"}
_COLUMN_KEYS = {"name", "type", "order", "monotone", "label", "bins", "required", "missing"}
#: The cell values that mean "missing" unless a spec names its own ``missing_values``.
DEFAULT_MISSING_VALUES: tuple[str, ...] = ("", "NA", "N/A", "NULL", "null", "NaN", ".")
#: A column's ``missing``: the file may leave it empty (and the API may omit it), or not.
MISSING_ALLOWED, MISSING_REFUSED = "allowed", "refused"
_CUT_OFF_KEYS, _RATE_KEYS = {"approve_below", "reject_from"}, {"approve_rate", "review_rate"}


class DatasetSpecError(ValueError):
    """The spec itself is malformed; the message names the key or column."""


@dataclass(frozen=True)
class ColumnSpec:
    """One feature or protected column.

    ``order``: an ordinal column's values from lowest to highest. ``monotone``: +1, -1
    or 0 (numeric and ordinal only). ``bins``: ascending edges for grouping a numeric
    protected column in fairness reports (e.g. ages 0, 25, 35). ``missing``: "allowed"
    (gaps in the file; loan systems may omit it, so ``required`` defaults to False),
    "refused" (a gap fails the file), or "" (not said: gaps are kept, the API requires
    it unless ``required`` is False).
    """

    name: str
    kind: str
    order: tuple[str, ...] = ()
    monotone: int = 0
    label: str = ""
    bins: tuple[float, ...] = ()
    required: bool = True
    missing: str = ""

    def field_spec(self, *, protected: bool) -> FieldSpec:
        label = self.label or self.name
        return FieldSpec(
            name=self.name,
            kind=_KINDS[self.kind],
            label_id=label,
            label_en=label,
            dtype="float" if self.kind == "numeric" else "str",
            choices=self.order,
            choice_labels_id=self.order,
            choice_labels_en=self.order,
            required=self.required and not protected,
            protected=protected,
            monotone=self.monotone,
            bins=self.bins,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.kind}
        if self.order:
            out["order"] = list(self.order)
        if self.monotone:
            out["monotone"] = self.monotone
        if self.label:
            out["label"] = self.label
        if self.bins:
            out["bins"] = list(self.bins)
        if not self.required:
            out["required"] = False
        if self.missing:
            out["missing"] = self.missing
        return out


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    version: str
    target: str
    default_values: tuple[str, ...]
    features: tuple[ColumnSpec, ...]
    drop: tuple[str, ...] = ()
    protected: tuple[ColumnSpec, ...] = ()
    weight: str | None = None
    min_rows: int = DEFAULT_MIN_ROWS
    description: str = ""
    missing_values: tuple[str, ...] = DEFAULT_MISSING_VALUES
    #: The model's decision: PD cut-offs, or target rates (at most one is set).
    thresholds: DecisionThresholds | None = None
    target_rates: TargetRates | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the file must have, in spec order."""
        names = [self.target, *(c.name for c in self.features), *self.drop]
        names += [c.name for c in self.protected]
        return (*names, self.weight) if self.weight else tuple(names)

    @property
    def schema_version(self) -> str:
        return f"{self.name}-{self.version}"

    def schema(self) -> ApplicationSchema:
        """The ``ApplicationSchema`` the encoder, training and scoring use."""
        identity = tuple(
            FieldSpec(name, FieldKind.IDENTITY, name, name, "str", required=False)
            for name in self.drop
        )
        features = tuple(c.field_spec(protected=False) for c in self.features)
        protected = tuple(c.field_spec(protected=True) for c in self.protected)
        return ApplicationSchema(
            version=self.schema_version,
            fields=identity + features + protected,
            target=self.target,
            excluded_protected=tuple(c.name for c in self.protected),
            weight=self.weight,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": SPEC_FORMAT,
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "target": {"column": self.target, "default_values": list(self.default_values)},
            "features": [c.to_dict() for c in self.features],
            "drop": list(self.drop),
            "protected": [c.to_dict() for c in self.protected],
            "weight": self.weight,
            "min_rows": self.min_rows,
            "missing_values": list(self.missing_values),
            **self._thresholds_dict(),
        }

    def _thresholds_dict(self) -> dict[str, Any]:
        if self.thresholds is not None:
            return {"thresholds": self.thresholds.to_dict()}
        if self.target_rates is not None:
            return {"thresholds": self.target_rates.to_dict()}
        return {}

    @classmethod
    def from_dict(cls, data: Any) -> DatasetSpec:
        """Parse and check a spec; raises ``DatasetSpecError`` naming the problem."""
        if not isinstance(data, Mapping):
            raise DatasetSpecError("The spec must be a mapping of keys to values.")
        unknown = sorted(set(data) - _TOP_KEYS)
        if unknown:
            raise DatasetSpecError(f"Unknown spec key(s): {', '.join(unknown)}.")
        spec = cls(
            name=_text(data, "name"),
            version=str(data.get("version", "1")),
            target=_target_column(data.get("target")),
            default_values=_default_values(data.get("target")),
            features=_columns(data.get("features"), "features"),
            drop=tuple(str(name) for name in data.get("drop") or ()),
            protected=_columns(data.get("protected") or [], "protected"),
            weight=str(data["weight"]) if data.get("weight") else None,
            min_rows=_min_rows(data.get("min_rows", DEFAULT_MIN_ROWS)),
            description=str(data.get("description", "")),
            missing_values=_missing_values(data.get("missing_values", DEFAULT_MISSING_VALUES)),
            thresholds=_cut_offs(data.get("thresholds")),
            target_rates=_target_rates(data.get("thresholds")),
        )
        _check_unique(spec)
        return spec


#: What ``example_application`` sends for a categorical column (the spec lists no values;
#: a model encodes a category it never saw as unseen).
EXAMPLE_CATEGORY = "other"


def example_application(spec: DatasetSpec) -> dict[str, Any]:
    """A valid application of ``spec.schema()``, derived from the spec alone.

    Every feature and protected column: 0.0 for a number, the lowest value of an ordinal's
    order, ``EXAMPLE_CATEGORY`` for a categorical; identity columns are left out (they are
    optional). ``validate_record(spec.schema(), example_application(spec))`` passes, so a
    model trained on the spec that cannot score it is broken (the readiness check).
    """
    return {column.name: _example_value(column) for column in (*spec.features, *spec.protected)}


def _example_value(column: ColumnSpec) -> float | str:
    if column.kind == "numeric":
        return 0.0
    return column.order[0] if column.order else EXAMPLE_CATEGORY


def load_spec(path: Path) -> DatasetSpec:
    """Read a ``.yaml``/``.yml`` or ``.json`` spec file."""
    path = Path(path)
    if not path.is_file():
        raise DatasetSpecError(f"Dataset spec not found: {path}")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        elif path.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            raise DatasetSpecError(f"{path.name}: a spec must be .yaml, .yml or .json.")
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise DatasetSpecError(f"{path.name} cannot be parsed: {exc}") from exc
    return DatasetSpec.from_dict(data)


# ---- parsing helpers -----------------------------------------------------------------


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DatasetSpecError(f"The spec needs a non-empty '{key}'.")
    return value.strip()


def _target_column(target: Any) -> str:
    if not isinstance(target, Mapping):
        raise DatasetSpecError("The spec needs 'target' with 'column' and 'default_values'.")
    return _text(target, "column")


def _default_values(target: Any) -> tuple[str, ...]:
    values = target.get("default_values") if isinstance(target, Mapping) else None
    if not isinstance(values, list) or not values:
        raise DatasetSpecError("'target.default_values' must list the values meaning default.")
    return tuple(_plain(value) for value in values)


def _columns(items: Any, key: str) -> tuple[ColumnSpec, ...]:
    if not isinstance(items, list) or (key == "features" and not items):
        raise DatasetSpecError(f"'{key}' must be a list of columns (name, type).")
    return tuple(_column(item, key) for item in items)


def _column(item: Any, key: str) -> ColumnSpec:
    if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
        raise DatasetSpecError(f"Every entry of '{key}' needs a 'name'.")
    name = item["name"]
    unknown = sorted(set(item) - _COLUMN_KEYS)
    if unknown:
        raise DatasetSpecError(f"{name}: unknown key(s) {', '.join(unknown)}.")
    kind = item.get("type")
    if kind not in _KINDS:
        raise DatasetSpecError(f"{name}: type must be numeric, categorical or ordinal.")
    order = tuple(_plain(v) for v in item.get("order") or ())
    if kind == "ordinal" and not order:
        raise DatasetSpecError(f"{name}: an ordinal column needs its 'order'.")
    monotone = item.get("monotone", 0)
    if monotone not in (-1, 0, 1) or (monotone and kind == "categorical"):
        raise DatasetSpecError(f"{name}: monotone must be -1, 0 or 1 (not for categorical).")
    bins = tuple(float(edge) for edge in item.get("bins") or ())
    if list(bins) != sorted(set(bins)):
        raise DatasetSpecError(f"{name}: bins must be strictly ascending.")
    missing = item.get("missing", "")
    if missing not in ("", MISSING_ALLOWED, MISSING_REFUSED):
        raise DatasetSpecError(f"{name}: missing must be 'allowed' or 'refused'.")
    required = bool(item.get("required", missing != MISSING_ALLOWED))
    if missing == MISSING_REFUSED and not required:
        raise DatasetSpecError(
            f"{name}: 'missing: refused' trains on no gaps, so it cannot be optional "
            "('required: false') for the loan systems."
        )
    return ColumnSpec(
        name=name,
        kind=kind,
        order=order,
        monotone=int(monotone),
        label=str(item.get("label", "")),
        bins=bins,
        required=required,
        missing=missing,
    )


def _missing_values(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list | tuple) or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in values
    ):
        raise DatasetSpecError("'missing_values' must list the cell values meaning missing.")
    return tuple(dict.fromkeys(str(value).strip() for value in values))


def _thresholds_mapping(value: Any) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) not in (_CUT_OFF_KEYS, _RATE_KEYS):
        raise DatasetSpecError(
            "'thresholds' takes either approve_below and reject_from (PD cut-offs) or "
            "approve_rate and review_rate (shares of the holdout, e.g. 0.60 and 0.15)."
        )
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()):
        raise DatasetSpecError("'thresholds' values must be numbers between 0 and 1.")
    return value


def _cut_offs(value: Any) -> DecisionThresholds | None:
    mapping = _thresholds_mapping(value)
    if mapping is None or set(mapping) != _CUT_OFF_KEYS:
        return None
    try:
        return DecisionThresholds.from_dict(mapping)
    except ValueError as exc:
        raise DatasetSpecError(f"'thresholds': {exc}") from exc


def _target_rates(value: Any) -> TargetRates | None:
    mapping = _thresholds_mapping(value)
    if mapping is None or set(mapping) != _RATE_KEYS:
        return None
    try:
        return TargetRates.from_dict(mapping)
    except ValueError as exc:
        raise DatasetSpecError(f"'thresholds': {exc}") from exc


def _min_rows(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 10:
        raise DatasetSpecError("'min_rows' must be a whole number of at least 10.")
    return value


def _check_unique(spec: DatasetSpec) -> None:
    repeated = sorted(name for name, count in Counter(spec.columns).items() if count > 1)
    if repeated:
        raise DatasetSpecError(f"The spec names these columns more than once: {repeated}.")


def _plain(value: Any) -> str:
    """Target and category values compared as text: 1, 1.0 and "1" are the same."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# ---- reading a lender's file ---------------------------------------------------------


def read_header(path: Path) -> list[str]:
    """The column names of a CSV (as written, duplicates kept) or Parquet file."""
    if path.suffix.lower() in (".parquet", ".pq"):
        return [str(name) for name in pd.read_parquet(path).columns]
    with path.open(newline="", encoding="utf-8-sig") as stream:
        return next(csv.reader(stream), [])


def read_training_frame(path: Path, spec: DatasetSpec) -> pd.DataFrame:
    """Read and check a lender's file; the target becomes 0/1 (int8), nothing else is lost.

    Raises ``TrainingDataError`` naming the problem: a duplicate or missing column, a
    column the spec does not mention, a missing or single-class target, fewer than
    ``spec.min_rows`` rows, text in a numeric column, an ordinal value outside its order,
    a gap in a column whose spec says ``missing: refused``. Cells holding one of the spec's
    ``missing_values`` are missing, not text.
    """
    path = Path(path)
    if not path.is_file():
        raise TrainingDataError(f"Training data not found: {path}")
    check_header(read_header(path), spec, path.name)
    frame = read_lender_file(path)
    check_min_rows(len(frame), spec, path.name)
    return prepare_frame(frame, spec)


def check_min_rows(rows: int, spec: DatasetSpec, filename: str) -> None:
    """Refuse a file of fewer than ``spec.min_rows`` rows."""
    if rows < spec.min_rows:
        raise TrainingDataError(
            f"{filename} has {rows} rows; the spec asks for at least {spec.min_rows}."
        )


def prepare_frame(
    frame: pd.DataFrame, spec: DatasetSpec, *, first_row: int = 0, whole: bool = True
) -> pd.DataFrame:
    """Type the spec's columns of an already-read frame and map the target to 0/1.

    Cells holding one of ``spec.missing_values`` (compared as trimmed text) become
    missing first; a feature or protected column with ``missing: refused`` must then have
    none, and the target never may. ``first_row``: the position of the frame's first row
    in the file (messages name data rows by position in the file); ``whole=False`` for
    part of a file (a Dask partition): whether the target has both classes is then the
    caller's check (``check_target_classes`` on all parts' counts).
    """
    frame = _with_markers_missing(frame, spec)
    out = frame.copy()
    out[spec.target] = _target(frame[spec.target], spec)
    if whole:
        check_target_classes(np.bincount(out[spec.target], minlength=2), spec)
    for column in (*spec.features, *spec.protected):
        out[column.name] = _typed(frame[column.name], column, first_row)
        if column.missing == MISSING_REFUSED:
            _refuse_gaps(out[column.name], column.name, first_row)
    for name in spec.drop:
        out[name] = frame[name].astype("str").where(frame[name].notna())
    if spec.weight:
        out[spec.weight] = _numeric(frame[spec.weight], spec.weight, first_row)
    return out


def _with_markers_missing(frame: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """The spec's columns with every missing-value marker replaced by NaN: text compared
    trimmed, numbers (a Parquet file's numeric columns) compared with the numeric markers
    (e.g. ``-999``)."""
    markers = list(spec.missing_values)
    numbers = [float(v) for v in pd.to_numeric(pd.Series(markers), errors="coerce").dropna()]
    out = frame.copy()
    for name in spec.columns:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column.dtype):
            continue
        if pd.api.types.is_numeric_dtype(column.dtype):
            marked = column.isin(numbers).to_numpy(dtype=bool)
        else:
            text = column.astype("string").str.strip()
            marked = text.isin(markers).fillna(False).to_numpy(dtype=bool)
        if marked.any():
            out[name] = column.astype("object").where(~marked, np.nan)
    return out


def _refuse_gaps(column: pd.Series, name: str, first_row: int = 0) -> None:
    gaps = column.isna().to_numpy()
    if gaps.any():
        row = first_row + int(np.flatnonzero(gaps)[0])
        raise TrainingDataError(
            f"Column '{name}' is missing in {int(gaps.sum())} row(s), e.g. data row "
            f"{row + 1}, but the spec says 'missing: refused'."
        )


def read_lender_file(path: Path) -> pd.DataFrame:
    """A lender's CSV (every cell as text, only an empty cell missing) or Parquet file, as
    read before ``prepare_frame``; raises ``TrainingDataError``."""
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except Exception as exc:  # pandas and the OS raise many unrelated types
        raise TrainingDataError(f"{path.name}: cannot be read: {exc}") from exc


def check_header(header: Sequence[str], spec: DatasetSpec, filename: str) -> None:
    """Refuse a header with duplicate columns, or columns missing from or unknown to the
    spec (``read_training_frame``'s first check)."""
    repeated = sorted(name for name, count in Counter(header).items() if count > 1)
    if repeated:
        raise TrainingDataError(f"{filename} has duplicate columns: {', '.join(repeated)}.")
    missing = [name for name in spec.columns if name not in header]
    if missing:
        raise TrainingDataError(f"{filename} lacks columns the spec names: {', '.join(missing)}.")
    unmentioned = [name for name in header if name not in spec.columns]
    if unmentioned:
        raise TrainingDataError(
            f"{filename} has columns the spec does not mention: {', '.join(unmentioned)} "
            "(list them under 'drop' or as features)."
        )


def _target(column: pd.Series, spec: DatasetSpec) -> pd.Series:
    if column.isna().any():
        raise TrainingDataError(
            f"The target '{spec.target}' is missing in {int(column.isna().sum())} row(s)."
        )
    return column.map(_plain).isin(spec.default_values).astype(np.int8)


def check_target_classes(counts: npt.NDArray[np.intp], spec: DatasetSpec) -> None:
    """Refuse a mapped target whose label ``counts`` (non-defaults, defaults) lack a class."""
    if counts.min() == 0:
        only = "defaults" if counts[1] > 0 else "non-defaults"
        raise TrainingDataError(
            f"The target '{spec.target}' has only one class ({only}); "
            f"default values are {list(spec.default_values)}."
        )


def _typed(column: pd.Series, spec: ColumnSpec, first_row: int = 0) -> pd.Series:
    if spec.kind == "numeric":
        return _numeric(column, spec.name, first_row)
    text = column.map(_plain, na_action="ignore").astype("object")
    if spec.kind == "ordinal":
        outside = sorted(set(text.dropna()) - set(spec.order))
        if outside:
            raise TrainingDataError(
                f"Column '{spec.name}' has values outside its order: {outside[:5]}."
            )
    return text


def _numeric(column: pd.Series, name: str, first_row: int = 0) -> pd.Series:
    numbers = pd.to_numeric(column, errors="coerce").astype("float64")
    bad = column.notna() & numbers.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise TrainingDataError(
            f"Column '{name}' is numeric but holds text, e.g. {column.iloc[row]!r} "
            f"in data row {first_row + row + 1} ({int(bad.sum())} such row(s))."
        )
    return numbers
