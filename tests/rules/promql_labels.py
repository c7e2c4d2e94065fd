"""Which metrics and labels a PromQL expression reads, checked against what is really exported.

`LabelChecker.labels_of(expr)` walks the parsed expression and returns the label names its result
can carry, recording a problem for every metric that nobody exports and every label that a matcher,
`by`, `on`, `group_left` or `label_replace` reads but its input does not have.
"""
from __future__ import annotations

import promql_parser as pp

SET_OPERATORS = {"and", "or", "unless"}
# The labels of a metric nobody exports: unknown, so reading them is not a second problem.
UNKNOWN = "*"
# Functions whose result keeps no labels or is not a vector.
SCALAR_FUNCTIONS = {"time", "scalar", "pi"}


class LabelChecker:
    def __init__(self, exported: dict[str, set[str]]):
        self.series = {name: set(labels) for name, labels in exported.items()}
        self.problems: list[str] = []
        self.metrics_read: set[str] = set()

    def define(self, name: str, labels: set[str]) -> None:
        """A recording rule's output becomes a metric later expressions may read."""
        self.series[name] = self.series.get(name, set()) | labels

    def check(self, where: str, expr: str) -> set[str] | None:
        self._where = where
        return self.labels_of(pp.parse(expr))

    def _problem(self, message: str) -> None:
        self.problems.append(f"{self._where}: {message}")

    def _require(self, needed, available: set[str] | None, what: str) -> None:
        for label in needed:
            if available is not None and UNKNOWN not in available and label not in available:
                self._problem(f"{what} reads label {label!r}, not among {sorted(available)}")

    def labels_of(self, node) -> set[str] | None:
        if isinstance(node, pp.VectorSelector):
            return self._selector(node)
        if isinstance(node, pp.MatrixSelector):
            return self._selector(node.vector_selector)
        if isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
            return self.labels_of(node.expr)
        if isinstance(node, (pp.NumberLiteral, pp.StringLiteral)):
            return None
        if isinstance(node, pp.Call):
            return self._call(node)
        if isinstance(node, pp.AggregateExpr):
            return self._aggregate(node)
        if isinstance(node, pp.BinaryExpr):
            return self._binary(node)
        raise TypeError(f"unhandled PromQL node {type(node).__name__}")

    def _selector(self, selector) -> set[str]:
        name = selector.name
        if name not in self.series:
            self._problem(f"metric {name!r} is neither exported nor recorded")
            return {UNKNOWN}
        self.metrics_read.add(name)
        labels = self.series[name]
        self._require([m.name for m in selector.matchers.matchers if m.name != "__name__"], labels, name)
        return labels

    def _call(self, call) -> set[str] | None:
        name = call.func.name
        args = [self.labels_of(a) for a in call.args]
        if name in SCALAR_FUNCTIONS:
            return None
        if name == "vector":
            return set()
        if name == "absent":
            selector = call.args[0]
            return {m.name for m in selector.matchers.matchers if str(m.op) == "MatchOp.Equal"}
        if name == "label_replace":
            destination, source = call.args[1].val, call.args[3].val
            self._require([source] if source else [], args[0], "label_replace")
            return (args[0] or set()) | {destination}
        vectors = [a for a in args if a is not None]
        return vectors[0] if vectors else None

    def _aggregate(self, aggregate) -> set[str]:
        inner = self.labels_of(aggregate.expr)
        if aggregate.param is not None:
            self.labels_of(aggregate.param)
        modifier = aggregate.modifier
        if modifier is None:
            return set()
        if modifier.type == pp.AggModifierType.By:
            self._require(modifier.labels, inner, f"{aggregate.op} by")
            return set(modifier.labels)
        return (inner or set()) - set(modifier.labels)

    def _binary(self, binary) -> set[str] | None:
        left, right = self.labels_of(binary.lhs), self.labels_of(binary.rhs)
        if left is None or right is None:
            return right if left is None else left
        modifier = binary.modifier
        matching = modifier.matching if modifier else None
        if matching is not None and matching.type == pp.LabelModifierType.Include:
            self._require(matching.labels, left, f"{binary.op} on (left side)")
            self._require(matching.labels, right, f"{binary.op} on (right side)")
        group = list(modifier.group_labels or []) if modifier else []
        if str(binary.op) in SET_OPERATORS:
            return left | right if str(binary.op) == "or" else left
        if modifier and modifier.card == pp.VectorMatchCardinality.ManyToOne:
            self._require(group, right, "group_left")
            return left | set(group)
        if modifier and modifier.card == pp.VectorMatchCardinality.OneToMany:
            self._require(group, left, "group_right")
            return right | set(group)
        return left
