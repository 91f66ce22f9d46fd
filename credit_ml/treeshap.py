"""Exact TreeSHAP for shallow trees from per-leaf tables, in numpy.

TreeSHAP's value for one row is a sum over leaves. A leaf's share of feature ``i`` depends
on the row only through which of the leaf's path conditions the row meets (at most
``depth`` of them): with the path's unique features ``D`` (``d`` of them), their cover
fractions ``p_j`` (the product of child over parent cover at that feature's splits on the
path) and ``o_j`` = 1 when the row meets every condition on ``j`` (else 0), the Shapley
formula over the path's features gives

    phi_i = v * (o_i - p_i) * sum over S of (D - {i}) with o_S = 1 of
            |S|! (d - |S| - 1)! / d! * prod over j in (D - {i} - S) of p_j

(Lundberg et al., "Consistent individualized feature attribution for tree ensembles",
the value TreeSHAP computes). ``TreeTables.build`` evaluates it once per leaf and per
pattern of met conditions (``2 ** depth`` of them) when a model version is loaded; per row
``TreeTables.contributions`` computes every split's direction (vectorised over rows), each
leaf's bitmask of met conditions, and gathers and sums the tables' entries.

Values equal XGBoost's ``predict(pred_contribs=True)`` and LightGBM's
``predict(pred_contrib=True)`` (layout (n, k + 1), bias last) to within float32 rounding:
the tables and sums are float64, XGBoost computes in float32, which is the whole
difference (tests hold it under 1e-6, relative for values above 1; LightGBM's float64
values within 1e-9). The margins (``explain``) are the libraries' own, bit for bit.
``build`` returns None for what it does not cover (trees deeper than ``MAX_DEPTH``, tables
over ``MAX_TABLE_BYTES``, categorical splits, boosters other than gbtree, several outputs):
the caller then uses the stock call.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import xgboost as xgb

# Deeper paths make the tables (2 ** depth entries per leaf) larger than they are worth.
MAX_DEPTH = 6
# Larger tables (leaves x 2 ** depth x features per path, float64) fall back to the stock
# call: a loaded version is held by every web worker's model cache.
MAX_TABLE_BYTES = 256 * 2**20
# Rows per gather pass: bounds the temporary arrays to a few MB (64 measured fastest at
# depth 4: the (rows, pairs) values then stay in cache between the gather and the sums).
CHUNK_ROWS = 64
# LightGBM treats |x| <= kZeroThreshold as zero for ``missing_type`` Zero.
_LGB_ZERO = 1e-35
_MISSING_NONE, _MISSING_ZERO, _MISSING_NAN = 0, 1, 2


@dataclass(frozen=True)
class _Split:
    """One internal node, in the form both libraries reduce to."""

    feature: int
    threshold: float
    default_left: bool
    missing: int  # LightGBM's missing type; XGBoost's splits are always "NaN"


@dataclass(frozen=True)
class _Leaf:
    value: float
    # (split number, went left, feature) from the root down
    path: tuple[tuple[int, bool, int], ...]
    # cover fraction child / parent along the path, same order
    fractions: tuple[float, ...]


@dataclass(frozen=True)
class _Forest:
    """Every tree's splits (numbered across trees) and leaves, plus the bias."""

    splits: tuple[_Split, ...]
    leaves: tuple[_Leaf, ...]
    bias: float
    strict_less: bool  # XGBoost goes left when x < t (float32); LightGBM when x <= t
    tree_starts: tuple[int, ...]  # each tree's first leaf (leaves are in tree order)
    base_margin: float  # XGBoost's base score as a margin (float32); LightGBM's is 0


@dataclass(frozen=True)
class TreeTables:
    """Per-leaf TreeSHAP tables of one booster; ``contributions`` scores rows with them.

    Shapes: ``n_splits`` internal nodes over all trees, ``n_leaves`` leaves, ``depth`` the
    longest path, ``n_pairs`` the
    (leaf, feature slot) pairs that carry a value.
    """

    n_columns: int
    bias: float
    depth: int
    split_feature: npt.NDArray[np.intp]
    split_threshold: npt.NDArray[np.float32] | npt.NDArray[np.float64]
    split_default_left: npt.NDArray[np.bool_]
    split_missing: npt.NDArray[np.int8]
    strict_less: bool
    # (n_leaves, depth): each path condition's row in ``_sides`` (split s went left: s;
    # went right: n_splits + s; padding: 2 * n_splits, always met)
    path_side: npt.NDArray[np.intp]
    # Values: the flat table, entry ``pair_base[q] + mask`` for pair q (a leaf and one of
    # its unique features, ``pair_leaf[q]``) and the leaf's mask of met conditions. Pairs
    # are sorted by feature: pairs ``starts[f]`` to the next start add up to feature
    # ``features[f]``.
    table: npt.NDArray[np.float64]
    # Margins: each leaf's value, each tree's first leaf, the base margin; in the library's
    # own precision and order (XGBoost float32, LightGBM float64; trees in order).
    leaf_value: npt.NDArray[np.float32] | npt.NDArray[np.float64]
    tree_starts: npt.NDArray[np.intp]
    base_margin: float
    pair_leaf: npt.NDArray[np.intp]
    pair_base: npt.NDArray[np.int32]
    starts: npt.NDArray[np.intp]
    features: npt.NDArray[np.intp]

    @classmethod
    def build(cls, booster: xgb.Booster | lgb.Booster, n_columns: int) -> TreeTables | None:
        """Tables for ``booster`` over ``n_columns`` encoded columns, or None when this
        method does not apply (then use the stock TreeSHAP)."""
        forest = _lgb_forest(booster) if isinstance(booster, lgb.Booster) else _xgb_forest(booster)
        if forest is None:
            return None
        depth = max((len(leaf.path) for leaf in forest.leaves), default=0)
        if depth > MAX_DEPTH:
            return None
        width = max((len({step[2] for step in leaf.path}) for leaf in forest.leaves), default=0)
        if len(forest.leaves) * 2**depth * max(width, 1) * 8 > MAX_TABLE_BYTES:
            return None
        return _tables(forest, n_columns, depth)

    def contributions(self, rows: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """TreeSHAP of encoded rows (n, k): float64 (n, k + 1), bias last."""
        return self.explain(rows)[0]

    def explain(
        self, rows: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.floating[Any]]]:
        """TreeSHAP (as ``contributions``) and the margins (n,) of encoded rows.

        The margin is the library's own, bit for bit: the base margin plus each tree's
        leaf value, added one tree after the other in the library's precision (XGBoost
        float32, LightGBM float64), as their predictors add them.
        """
        x = np.asarray(rows, dtype=np.float32).reshape(-1, self.n_columns)
        out = np.zeros((x.shape[0], self.n_columns + 1), dtype=np.float64)
        margins = np.empty(x.shape[0], dtype=self.leaf_value.dtype)
        for start in range(0, x.shape[0], CHUNK_ROWS):
            chunk = x[start : start + CHUNK_ROWS]
            values, chunk_margins = self._values(chunk)
            sums = np.add.reduceat(values, self.starts, axis=1)
            out[start : start + len(chunk), self.features] = sums
            margins[start : start + len(chunk)] = chunk_margins
        out[:, -1] = self.bias
        return out, margins

    def _masks(self, x: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8]:
        """(n, n_leaves): each row's bitmask of the path conditions it meets, per leaf."""
        sides = self._sides(x)
        masks = np.zeros((self.path_side.shape[0], x.shape[0]), dtype=np.uint8)
        for level in range(self.depth):
            masks |= sides[self.path_side[:, level]] << np.uint8(level)
        return np.ascontiguousarray(masks.T)

    def _values(
        self, x: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.floating[Any]]]:
        """(n, n_pairs): every (leaf, feature slot) pair's value for rows ``x``, pairs
        sorted by feature; and the rows' margins. The masks are built one row of the chunk
        per column (the gathers then copy contiguous runs), then turned to one row per row
        for the gather of values and the sums."""
        by_row = self._masks(x)
        index = self.pair_base + np.take(by_row, self.pair_leaf, axis=1)
        return self.table.take(index), self._margins(by_row)

    def _margins(self, masks: npt.NDArray[np.uint8]) -> npt.NDArray[np.floating[Any]]:
        """The margins of the rows whose leaf masks (n, n_leaves) are ``masks``: a row
        reaches the one leaf per tree whose conditions it all meets."""
        n = masks.shape[0]
        n_trees = len(self.tree_starts)
        _, leaves = np.nonzero(masks == (1 << self.depth) - 1)  # row by row, trees in order
        if len(leaves) != n * n_trees:
            raise RuntimeError("A row did not reach exactly one leaf per tree.")
        values = self.leaf_value
        terms: npt.NDArray[np.floating[Any]] = np.empty((n, n_trees + 1), dtype=values.dtype)
        terms[:, 0] = self.base_margin
        terms[:, 1:] = values[leaves].reshape(n, n_trees)
        # cumsum adds in order (no pairwise summation): base, tree 0, tree 1, ...
        summed: npt.NDArray[np.floating[Any]] = np.cumsum(terms, axis=1)
        return summed[:, -1]

    def _sides(self, x: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8]:
        """(2 * n_splits + 1, n): 1 where a row goes left at split ``s`` (row ``s``), goes
        right (row ``n_splits + s``); the last row, all 1, is the condition every padded
        path step meets."""
        n_splits = len(self.split_feature)
        out = np.ones((2 * n_splits + 1, x.shape[0]), dtype=np.bool_)
        values = np.ascontiguousarray(x.T)[self.split_feature]
        if self.strict_less:  # XGBoost: float32 comparison, NaN goes the default way
            left = values < self.split_threshold[:, None]
            left |= np.isnan(values) & self.split_default_left[:, None]
        else:
            left = self._lgb_left(values.astype(np.float64))
        out[:n_splits] = left
        np.logical_not(left, out=out[n_splits:-1])
        return out.view(np.uint8)

    def _lgb_left(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        """LightGBM's decision per split (rows) and row (columns)."""
        missing = self.split_missing[:, None]
        nan = np.isnan(values)
        values[nan & (missing != _MISSING_NAN)] = 0.0  # LightGBM reads NaN as 0 there
        is_missing = ((missing == _MISSING_ZERO) & (np.abs(values) <= _LGB_ZERO)) | (
            (missing == _MISSING_NAN) & nan
        )
        with np.errstate(invalid="ignore"):
            left = values <= self.split_threshold[:, None]
        return np.where(is_missing, self.split_default_left[:, None], left)


def _shapley_weights(d: int) -> npt.NDArray[np.float64]:
    """``s! (d - s - 1)! / d!`` for s = 0 .. d - 1."""
    return np.array(
        [math.factorial(s) * math.factorial(d - s - 1) / math.factorial(d) for s in range(d)]
    )


def _leaf_shapley(
    values: npt.NDArray[np.float64], fractions: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """For leaves with ``d`` unique path features each: (m, 2 ** d, d), the value of
    unique feature ``i`` when the row meets the features in bitmask ``mask``.

    ``values`` (m,) leaf values, ``fractions`` (m, d) cover fractions ``p_j``.
    """
    m, d = fractions.shape
    weights = _shapley_weights(d)
    out = np.zeros((m, 2**d, d), dtype=np.float64)
    for mask in range(2**d):
        for i in range(d):
            # Coefficient s of prod over j != i of (t if met, else 0) + p_j: the weight of
            # subsets S of size s among the met features.
            coef = np.zeros((m, d), dtype=np.float64)
            coef[:, 0] = 1.0
            for j in range(d):
                if j == i:
                    continue
                p = fractions[:, j : j + 1]
                if mask >> j & 1:
                    coef = np.concatenate([coef[:, :1] * p, coef[:, 1:] * p + coef[:, :-1]], 1)
                else:
                    coef = coef * p
            met = float(mask >> i & 1)
            out[:, mask, i] = values * (met - fractions[:, i]) * (coef @ weights)
    return out


def _unique(leaf: _Leaf) -> tuple[list[int], list[float], list[int]]:
    """The path's unique features in first-seen order, each one's cover fraction (the
    product over its splits), and each condition's index into them."""
    features: list[int] = []
    fractions: list[float] = []
    slot_of: list[int] = []
    for (_, _, feature), fraction in zip(leaf.path, leaf.fractions, strict=True):
        if feature not in features:
            features.append(feature)
            fractions.append(1.0)
        slot = features.index(feature)
        fractions[slot] *= fraction
        slot_of.append(slot)
    return features, fractions, slot_of


def _condition_to_feature_masks(slot_of: Sequence[int], depth: int) -> npt.NDArray[np.intp]:
    """For each mask of met conditions (padding conditions always met), the mask of met
    unique features: a feature is met when all its conditions are."""
    out = np.zeros(2**depth, dtype=np.intp)
    for mask in range(2**depth):
        features_met = {slot: True for slot in slot_of}
        for condition, slot in enumerate(slot_of):
            if not mask >> condition & 1:
                features_met[slot] = False
        out[mask] = sum(1 << slot for slot, met in features_met.items() if met)
    return out


def _tables(forest: _Forest, n_columns: int, depth: int) -> TreeTables:
    leaves = forest.leaves
    n_leaves = len(leaves)
    unique = [_unique(leaf) for leaf in leaves]
    width = max((len(features) for features, _, _ in unique), default=0) or 1
    per_leaf = np.zeros((n_leaves, 2**depth, width), dtype=np.float64)
    by_width: dict[int, list[int]] = {}
    for number, (features, _, _) in enumerate(unique):
        by_width.setdefault(len(features), []).append(number)
    for d, numbers in by_width.items():
        if d == 0:
            continue  # a one-leaf tree adds to the bias only
        values = np.array([leaves[n].value for n in numbers], dtype=np.float64)
        fractions = np.array([unique[n][1] for n in numbers], dtype=np.float64)
        shapley = _leaf_shapley(values, fractions)
        for row, number in enumerate(numbers):
            feature_mask = _condition_to_feature_masks(unique[number][2], depth)
            per_leaf[number, :, :d] = shapley[row][feature_mask]
    n_splits = len(forest.splits)
    path_side = np.full((n_leaves, depth), 2 * n_splits, dtype=np.intp)
    for number, leaf in enumerate(leaves):
        for level, (split, went_left, _) in enumerate(leaf.path):
            path_side[number, level] = split if went_left else n_splits + split
    pairs = sorted(
        (feature, number, slot)
        for number, (features, _, _) in enumerate(unique)
        for slot, feature in enumerate(features)
    ) or [(0, 0, 0)]  # only one-leaf trees: one pair of zeros
    pair_feature = np.array([p[0] for p in pairs], dtype=np.intp)
    pair_leaf = np.array([p[1] for p in pairs], dtype=np.intp)
    pair_slot = np.array([p[2] for p in pairs], dtype=np.intp)
    # pair q's 2 ** depth values, contiguous: entry q * 2 ** depth + mask
    table = per_leaf[pair_leaf, :, pair_slot]
    used, starts = np.unique(pair_feature, return_index=True)
    if np.any(used >= n_columns):
        raise ValueError("The booster splits on a column the encoder does not have.")
    splits = forest.splits
    thresholds = np.array([s.threshold for s in splits], dtype=np.float64)
    return TreeTables(
        n_columns=n_columns,
        bias=forest.bias,
        depth=depth,
        split_feature=np.array([s.feature for s in splits], dtype=np.intp),
        split_threshold=thresholds.astype(np.float32) if forest.strict_less else thresholds,
        split_default_left=np.array([s.default_left for s in splits], dtype=np.bool_),
        split_missing=np.array([s.missing for s in splits], dtype=np.int8),
        strict_less=forest.strict_less,
        path_side=path_side,
        table=np.ascontiguousarray(table).reshape(-1),
        leaf_value=_leaf_values(leaves, float32=forest.strict_less),
        tree_starts=np.array(forest.tree_starts, dtype=np.intp),
        base_margin=forest.base_margin,
        pair_leaf=pair_leaf,
        pair_base=(np.arange(len(pairs)) * 2**depth).astype(np.int32),
        starts=starts.astype(np.intp),
        features=used.astype(np.intp),
    )


def _leaf_values(
    leaves: Sequence[_Leaf], *, float32: bool
) -> npt.NDArray[np.float32] | npt.NDArray[np.float64]:
    values = [leaf.value for leaf in leaves]
    return np.array(values, dtype=np.float32) if float32 else np.array(values, dtype=np.float64)


def _xgb_forest(booster: xgb.Booster) -> _Forest | None:
    """The trees of a binary gbtree XGBoost model with numerical splits, or None."""
    learner = json.loads(booster.save_raw("json"))["learner"]
    gbm = learner["gradient_booster"]
    param = learner["learner_model_param"]
    if gbm["name"] != "gbtree" or int(param.get("num_target", "1")) != 1:
        return None
    if int(param.get("num_class", "0")) > 1:
        return None
    if learner["objective"]["name"] != "binary:logistic":
        return None
    trees = gbm["model"]["trees"]
    if any(any(t["split_type"]) for t in trees):
        return None  # categorical splits
    base = float(np.float32(str(param["base_score"]).strip("[]")))
    # XGBoost turns the base score into a margin in float32 (ProbToMargin of the logistic).
    bias = float(np.float32(-np.log(np.float32(1.0) / np.float32(base) - np.float32(1.0))))
    splits: list[_Split] = []
    leaves: list[_Leaf] = []
    starts: list[int] = []
    base_margin = bias
    for tree in trees:
        starts.append(len(leaves))
        bias += _xgb_tree(tree, splits, leaves)
    return _Forest(tuple(splits), tuple(leaves), bias, True, tuple(starts), base_margin=base_margin)


def _xgb_tree(tree: Mapping[str, Any], splits: list[_Split], leaves: list[_Leaf]) -> float:
    """Add one tree's splits and leaves; return its expected value (cover-weighted)."""
    left, right = tree["left_children"], tree["right_children"]
    cover = tree["sum_hessian"]
    numbers: dict[int, int] = {}

    def walk(node: int, path: tuple[tuple[int, bool, int], ...], fr: tuple[float, ...]) -> float:
        if left[node] == -1:
            value = float(np.float32(tree["split_conditions"][node]))
            leaves.append(_Leaf(value, path, fr))
            return value
        numbers[node] = len(splits)
        feature = int(tree["split_indices"][node])
        splits.append(
            _Split(
                feature=feature,
                threshold=float(np.float32(tree["split_conditions"][node])),
                default_left=bool(tree["default_left"][node]),
                missing=_MISSING_NAN,
            )
        )
        total = float(cover[node])
        means = []
        for child, went_left in ((left[node], True), (right[node], False)):
            step = (numbers[node], went_left, feature)
            means.append(
                (walk(child, (*path, step), (*fr, float(cover[child]) / total)), cover[child])
            )
        return sum(mean * float(c) for mean, c in means) / total

    return walk(0, (), ())


def _lgb_forest(booster: lgb.Booster) -> _Forest | None:
    """The trees of a binary LightGBM model with numerical splits, or None."""
    model = booster.dump_model()
    if model.get("num_tree_per_iteration", 1) != 1 or model.get("average_output", False):
        return None
    splits: list[_Split] = []
    leaves: list[_Leaf] = []
    starts: list[int] = []
    bias = 0.0
    for info in model["tree_info"]:
        root = info["tree_structure"]
        starts.append(len(leaves))
        if any(node.get("decision_type", "<=") != "<=" for node in _lgb_nodes(root)):
            return None  # categorical splits
        if "leaf_value" in root and "split_index" not in root:
            bias += float(root["leaf_value"])
            leaves.append(_Leaf(float(root["leaf_value"]), (), ()))
            continue
        total = float(root["internal_count"])
        _lgb_walk(root, (), (), splits, leaves)
        # LightGBM's expected value: leaves weighted by their share of the root's count
        bias += sum(
            float(node["leaf_value"]) * (float(node["leaf_count"]) / total)
            for node in _lgb_nodes(root)
            if "split_index" not in node
        )
    return _Forest(tuple(splits), tuple(leaves), bias, False, tuple(starts), base_margin=0.0)


def _lgb_nodes(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield node
    for child in ("left_child", "right_child"):
        if child in node:
            yield from _lgb_nodes(node[child])


_LGB_MISSING = {"None": _MISSING_NONE, "Zero": _MISSING_ZERO, "NaN": _MISSING_NAN}


def _lgb_count(node: Mapping[str, Any]) -> float:
    return float(node["internal_count"] if "internal_count" in node else node["leaf_count"])


def _lgb_walk(
    node: Mapping[str, Any],
    path: tuple[tuple[int, bool, int], ...],
    fr: tuple[float, ...],
    splits: list[_Split],
    leaves: list[_Leaf],
) -> None:
    if "split_index" not in node:
        leaves.append(_Leaf(float(node["leaf_value"]), path, fr))
        return
    number = len(splits)
    feature = int(node["split_feature"])
    splits.append(
        _Split(
            feature=feature,
            threshold=float(node["threshold"]),
            default_left=bool(node["default_left"]),
            missing=_LGB_MISSING[str(node["missing_type"])],
        )
    )
    total = _lgb_count(node)
    for key, went_left in (("left_child", True), ("right_child", False)):
        child = node[key]
        step = (number, went_left, feature)
        _lgb_walk(child, (*path, step), (*fr, _lgb_count(child) / total), splits, leaves)
