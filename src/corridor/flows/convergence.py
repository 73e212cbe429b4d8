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
from dataclasses import asdict, dataclass, field

from corridor.errors import EstimationError, InputError
from corridor.i18n import Message

ON_NONCONVERGENCE = ("raise", "warn")
NOT_CONVERGED = "not_converged"

# each stopping criterion, and each method whose name is a word, as the catalogue says it in the
# reader's language (the records keep the English names: they are data that code compares)
CRITERIA = {
    "margins": "flows.convergence.criterion.margins",
    "cells": "flows.convergence.criterion.cells",
    "relative margins": "flows.convergence.criterion.relative_margins",
    "parameters": "flows.convergence.criterion.parameters",
}
METHODS = {"conditional maximisation": "flows.convergence.method.cm"}


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
    # the step as a reader reads it (``step`` is its English name, kept as data); None: ``step`` is
    # a function's name (``ipf2``), the same in every language
    label: Message | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out.pop("label")
        return out

    def message(self) -> Message:
        """How the fit ended, rendered in the reader's language."""
        return Message(
            "flows.convergence.converged" if self.converged else "flows.convergence.not_converged",
            step=self.label if self.label is not None else self.step,
            method=Message(METHODS[self.method]) if self.method in METHODS else self.method,
            criterion=Message(CRITERIA[self.criterion]) if self.criterion in CRITERIA else self.criterion,
            iterations=self.iterations, maxit=self.maxit, gap=self.gap, tol=self.tol,
        )

    def describe(self, lang: str | None = None) -> str:
        """:meth:`message` rendered in ``lang`` (default: the current language)."""
        return self.message().render(lang)


def check_choice(on_nonconvergence: str) -> str:
    """Validate an ``on_nonconvergence`` argument."""
    if on_nonconvergence not in ON_NONCONVERGENCE:
        raise InputError(
            Message("flows.nonconvergence_not_known", on_nonconvergence=on_nonconvergence),
            hint=Message("flows.nonconvergence_not_known.hint"),
        )
    return on_nonconvergence


def settle(
    record: Convergence, on_nonconvergence: str, *, reasons: tuple[Message, ...] = (), hint: Message | None = None,
    prefix: str = "",
) -> Convergence:
    """Raise or warn if ``record`` did not converge; return it unchanged otherwise.

    ``reasons`` say why it could not (periods that failed, margins no table meets), ``hint`` what
    to do besides the usual advice; ``prefix`` names the fit's own arguments (``"death_"`` for
    ``death_maxit``/``death_tol``).
    """
    if record.converged:
        return record
    message = record.message()
    for reason in reasons:
        message = Message("flows.convergence.with_reason", message=message, reason=reason)
    advice = Message("flows.nonconvergence.hint_with" if hint else "flows.nonconvergence.hint", hint=hint or "",
                     prefix=prefix, flag=NOT_CONVERGED)
    if check_choice(on_nonconvergence) == "raise":
        raise EstimationError(message, hint=advice)
    warnings.warn(Message("flows.convergence.flagged", message=message, flag=NOT_CONVERGED).render(),
                  RuntimeWarning, stacklevel=3)
    return record


__all__ = ["CRITERIA", "METHODS", "NOT_CONVERGED", "ON_NONCONVERGENCE", "Convergence", "check_choice", "settle"]
