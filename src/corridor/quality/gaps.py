"""Gaps between domains are judged by their interval, not by a CV rule.

A migrant-native gap near zero has a huge coefficient of variation by
construction (its SE over an estimate close to 0), so a CV rule would call
"non-reliable" a gap whose interval is tight. ``calidad`` has no rule for
differences; corridor judges a gap (``difference``, and the comparisons of
:meth:`corridor.Estimates.compare`: ``difference:<estimand>``,
``ratio:<estimand>``) by whether its confidence interval, at the table's
level, excludes no difference (0, or 1 for a ratio): ``significant`` or
``not_significant``. The two cells a gap compares keep their own labels,
which is what says whether each side can be published.
"""

from __future__ import annotations

import numpy as np

from corridor.estimation.intervals import t_quantile
from corridor.quality.criteria import Coded
from corridor.quality.rules import Decision
from corridor.quality.schemes import NOT_SIGNIFICANT, SIGNIFICANT


def judge(
    ratio: np.ndarray,
    estimate: np.ndarray,
    se: np.ndarray,
    df: np.ndarray,
    ci_low: np.ndarray,
    ci_high: np.ndarray,
    level: np.ndarray,
) -> tuple[Decision, Coded]:
    """Significance of each gap row, and the ``eval_ci`` criterion ("ci excludes 0" ...).

    ``ratio`` marks the comparisons by ratio (no difference is 1, not 0). The interval is the row's ``ci_low``/``ci_high`` where present; otherwise
    ``estimate -/+ t(df) se`` at the row's level (normal where df is missing).
    """
    null = np.where(ratio, 1.0, 0.0)
    with np.errstate(invalid="ignore"):
        t = t_quantile_rows(level, np.where(np.isnan(df), np.inf, df))
        lo = np.where(np.isnan(ci_low), estimate - t * se, ci_low)
        hi = np.where(np.isnan(ci_high), estimate + t * se, ci_high)
    d = Decision(len(estimate))
    texts = {0.0: "0", 1.0: "1"}
    missing = np.isnan(lo) | np.isnan(hi)
    for value, text in texts.items():
        at = null == value
        d.rule(at & ~missing & (lo > value), SIGNIFICANT, f"{text}<ci_low")
        d.rule(at & ~missing & (hi < value), SIGNIFICANT, f"ci_high<{text}")
        d.rule(at & ~missing, NOT_SIGNIFICANT, f"ci_low<={text}<=ci_high")
    d.rule(np.isnan(se) & missing, None, "missing:se")
    d.rule(missing, None, "missing:ci")
    excludes = (lo > null) | (hi < null)
    criterion = Coded(np.where(missing, 4, np.where(excludes, 0, 1) + 2 * (null == 1)),
                      ["ci excludes 0", "ci includes 0", "ci excludes 1", "ci includes 1", None])
    return d, criterion


def t_quantile_rows(level: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Two-sided critical values for rows that may differ in level."""
    out = np.full(len(df), np.nan)
    for lv in np.unique(level[~np.isnan(level)]):
        sel = level == lv
        out[sel] = t_quantile(float(lv), df[sel])
    return out
