"""Scores extracted mentions against reference annotations by the rules of ANNOTATION.md.

Lenient: spans overlap; strict: spans are identical. Each reference mention can be matched by at most one
extracted mention (a maximum one-to-one matching per document, ties broken by overlap), so one long
prediction over two reference mentions earns one true positive, not two. Counts are micro-averaged over
documents, with and without the type; requirement level is accuracy over the (untyped) matched pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from scipy.optimize import linear_sum_assignment

from extractors.taxonomy import MENTION_TYPES

MODES = ("lenient", "strict", "lenient_typed", "strict_typed")


class SpanLike(Protocol):
    """Anything with character offsets, a type and a requirement level (dicts are adapted by as_span)."""

    start: int
    end: int
    type: str
    requirement: str


@dataclass(frozen=True)
class Span:
    """The part of a mention that scoring looks at."""

    start: int
    end: int
    type: str
    requirement: str = "UNSPECIFIED"
    text: str = ""


def as_span(mention: Mapping[str, Any] | SpanLike) -> Span:
    """A Span from a JSON mention dict or any object with the same attributes."""
    get = mention.get if isinstance(mention, Mapping) else (lambda k, d=None: getattr(mention, k, d))
    return Span(int(get("start")), int(get("end")), str(get("type") or ""), str(get("requirement") or "UNSPECIFIED"),
                str(get("text") or ""))


@dataclass
class Counts:
    """True positives, false positives and false negatives of one scoring mode."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: "Counts") -> None:
        """Micro-averaging: sum counts over documents before dividing."""
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        """Counts and the three ratios, rounded for reports."""
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


@dataclass
class Report:
    """Everything `radar eval` prints: the four modes, requirement accuracy and per-type scores."""

    documents: int = 0
    reference_mentions: int = 0
    predicted_mentions: int = 0
    modes: dict[str, Counts] = field(default_factory=lambda: {m: Counts() for m in MODES})
    per_type: dict[str, dict[str, Counts]] = field(
        default_factory=lambda: {t: {"lenient": Counts(), "strict": Counts()} for t in MENTION_TYPES})
    requirement_matched: int = 0
    requirement_correct: int = 0
    type_matched: int = 0
    type_correct: int = 0

    @property
    def requirement_accuracy(self) -> float:
        return self.requirement_correct / self.requirement_matched if self.requirement_matched else 0.0

    @property
    def type_accuracy(self) -> float:
        return self.type_correct / self.type_matched if self.type_matched else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for benchmarks and model cards."""
        return {
            "documents": self.documents,
            "reference_mentions": self.reference_mentions,
            "predicted_mentions": self.predicted_mentions,
            **{mode: counts.as_dict() for mode, counts in self.modes.items()},
            "requirement_accuracy": round(self.requirement_accuracy, 4),
            "requirement_matched": self.requirement_matched,
            "type_accuracy_on_matches": round(self.type_accuracy, 4),
            "per_type": {t: {m: c.as_dict() for m, c in modes.items()} for t, modes in self.per_type.items()},
        }


def overlap(a: Span, b: Span) -> int:
    """Number of characters two spans share (0 when they only touch)."""
    return max(0, min(a.end, b.end) - max(a.start, b.start))


def match(reference: Sequence[Span], predicted: Sequence[Span], *, strict: bool, typed: bool
          ) -> list[tuple[int, int]]:
    """A maximum one-to-one matching (reference index, predicted index); larger overlaps win ties."""
    if not reference or not predicted:
        return []
    weight = np.zeros((len(reference), len(predicted)))
    for i, ref in enumerate(reference):
        for j, pred in enumerate(predicted):
            if typed and ref.type != pred.type:
                continue
            if strict:
                ok = ref.start == pred.start and ref.end == pred.end
            else:
                ok = overlap(ref, pred) > 0
            if ok:
                union = max(ref.end, pred.end) - min(ref.start, pred.start)
                weight[i, j] = 1.0 + overlap(ref, pred) / max(union, 1) / 2  # a match counts more than any tie-break
    if not weight.any():
        return []
    rows, cols = linear_sum_assignment(weight, maximize=True)
    return [(int(i), int(j)) for i, j in zip(rows, cols) if weight[i, j] > 0]


def score_document(reference: Sequence[Span], predicted: Sequence[Span], report: Report) -> None:
    """Add one document's counts to the report."""
    report.documents += 1
    report.reference_mentions += len(reference)
    report.predicted_mentions += len(predicted)
    for mode in MODES:
        pairs = match(reference, predicted, strict=mode.startswith("strict"), typed=mode.endswith("typed"))
        report.modes[mode].add(Counts(len(pairs), len(predicted) - len(pairs), len(reference) - len(pairs)))
        if mode == "lenient":
            report.requirement_matched += len(pairs)
            report.requirement_correct += sum(reference[i].requirement == predicted[j].requirement for i, j in pairs)
            report.type_matched += len(pairs)
            report.type_correct += sum(reference[i].type == predicted[j].type for i, j in pairs)
    for kind in MENTION_TYPES:
        ref_k = [s for s in reference if s.type == kind]
        pred_k = [s for s in predicted if s.type == kind]
        for mode, strict in (("lenient", False), ("strict", True)):
            n = len(match(ref_k, pred_k, strict=strict, typed=True))
            report.per_type[kind][mode].add(Counts(n, len(pred_k) - n, len(ref_k) - n))


def score(reference: Mapping[str, Iterable[Any]], predicted: Mapping[str, Iterable[Any]]) -> Report:
    """Score every reference document; a document missing from the predictions counts as predicting nothing."""
    report = Report()
    for doc_id, ref in reference.items():
        score_document([as_span(m) for m in ref], [as_span(m) for m in predicted.get(doc_id, ())], report)
    return report


def format_report(report: Report, title: str = "") -> str:
    """A plain-text table of the scores, as `radar eval` prints them."""
    lines = [title] if title else []
    lines.append(f"{report.documents} documents, {report.reference_mentions} reference mentions, "
                 f"{report.predicted_mentions} predicted")
    lines.append(f"{'mode':<16}{'precision':>10}{'recall':>10}{'F1':>10}{'tp':>7}{'fp':>7}{'fn':>7}")
    for mode in MODES:
        c = report.modes[mode]
        lines.append(f"{mode:<16}{c.precision:>10.3f}{c.recall:>10.3f}{c.f1:>10.3f}{c.tp:>7}{c.fp:>7}{c.fn:>7}")
    lines.append(f"requirement accuracy on {report.requirement_matched} lenient matches: "
                 f"{report.requirement_accuracy:.3f}; type accuracy: {report.type_accuracy:.3f}")
    lines.append(f"{'type':<16}{'lenient P':>10}{'R':>7}{'F1':>7}{'strict P':>10}{'R':>7}{'F1':>7}{'ref':>6}")
    for kind, modes in report.per_type.items():
        le, st = modes["lenient"], modes["strict"]
        lines.append(f"{kind:<16}{le.precision:>10.3f}{le.recall:>7.3f}{le.f1:>7.3f}"
                     f"{st.precision:>10.3f}{st.recall:>7.3f}{st.f1:>7.3f}{le.tp + le.fn:>6}")
    return "\n".join(lines)
