"""Convergence of the iterative fits in flows: what each fit reports, and what happens when it fails.

Every iterative method (IPF, conditional maximisation, Newton, the fits inside demographic
accounting and the migration indices) stops at its tolerance ``tol`` or after ``maxit``
iterations. Its result carries the iterations used and the final value of its stopping criterion
(the gap). A fit that stops at ``maxit`` with the gap above ``tol`` has not converged: by default
(``on_nonconvergence="raise"``) that is an :class:`~corridor.errors.EstimationError` saying which
fit, after how many iterations, with what gap; with ``on_nonconvergence="warn"`` the last iterate
is kept, a ``RuntimeWarning`` says the same, and the result is flagged ``not_converged``.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

from corridor.errors import EstimationError, InputError
from corridor.i18n import Message

ON_NONCONVERGENCE = ("raise", "warn")
NOT_CONVERGED = "not_converged"

CRITERIA = {
    "margins": "largest gap between a fitted margin and its target",
    "cells": "largest change of a fitted cell in the last sweep",
    "relative margins": "largest margin gap relative to the table total",
    "parameters": "largest change of a parameter in the last iteration",
}


@dataclass(frozen=True)
class Convergence:
    """How one iterative fit ended."""

    step: str
    method: str
    criterion: str
    iterations: int
    gap: float
    tol: float
    maxit: int
    converged: bool

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def describe(self) -> str:
        state = "converged" if self.converged else "did not converge"
        return (
            f"{self.step}: {self.method} {state} after {self.iterations} iterations (maxit {self.maxit}); "
            f"{CRITERIA.get(self.criterion, self.criterion)} {self.gap:.3g} (tol {self.tol:g})"
        )


def check_choice(on_nonconvergence: str) -> str:
    """Validate an ``on_nonconvergence`` argument."""
    if on_nonconvergence not in ON_NONCONVERGENCE:
        raise InputError(
            Message("flows.nonconvergence_not_known", on_nonconvergence=on_nonconvergence),
            hint=Message("flows.nonconvergence_not_known.hint"),
        )
    return on_nonconvergence


def settle(
    record: Convergence, on_nonconvergence: str, *, reason: str = "", hint: str = "", prefix: str = ""
) -> Convergence:
    """Raise or warn if ``record`` did not converge; return it unchanged otherwise.

    ``prefix`` names the fit's own arguments (``"death_"`` for ``death_maxit``/``death_tol``).
    """
    if record.converged:
        return record
    message = record.describe() + (f"; {reason}" if reason else "")
    advice = Message("flows.nonconvergence.hint_with" if hint else "flows.nonconvergence.hint", hint=hint or "",
                     prefix=prefix, flag=NOT_CONVERGED)
    if check_choice(on_nonconvergence) == "raise":
        raise EstimationError(message, hint=advice)
    warnings.warn(f"{message}; the result is flagged {NOT_CONVERGED!r}", RuntimeWarning, stacklevel=3)
    return record


__all__ = ["CRITERIA", "NOT_CONVERGED", "ON_NONCONVERGENCE", "Convergence", "check_choice", "settle"]
