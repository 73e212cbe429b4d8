"""Publication-quality schemes: their thresholds and the codes they give.

A scheme is the standard a statistics office applies before publishing a
survey estimate. Each one here reproduces the rules of INE Chile's R package
``calidad`` (0.8.x, ``assess(scheme = ...)``); the defaults are that
package's defaults. See ``docs/quality.md`` for the rules and their sources:

* ``chile``: INE Chile (2020), *Estándar para la evaluación de la calidad de
  las estimaciones en encuestas de hogares*.
* ``eclac_2023``: ECLAC's 2023 quality criteria for household-survey
  estimates (published 2024).
* ``eclac_2020``: ECLAC (2020) quality criteria for household-survey
  estimates (document S2000293).
* ``chile_economics``: INE Chile (2024), *Estándar para la evaluación de la
  calidad de las estimaciones en encuestas económicas*.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from difflib import get_close_matches
from types import MappingProxyType

from corridor.errors import SpecError
from corridor.i18n import Message

RELIABLE = "reliable"
WEAKLY_RELIABLE = "weakly_reliable"
NON_RELIABLE = "non_reliable"
PUBLISH = "publish"
REVIEW = "review"
SUPPRESS = "suppress"
# gaps between domains (corridor.quality.gaps), whatever the scheme
SIGNIFICANT = "significant"
NOT_SIGNIFICANT = "not_significant"


@dataclass(frozen=True)
class Scheme:
    """One quality standard: a name, its parameters and the codes it can give.

    ``codes`` are ordered from best to worst; ``calidad_labels`` maps each code
    to the exact string ``calidad`` 0.8.x prints for it.
    """

    name: str
    title: str
    params: Mapping[str, float]
    codes: tuple[str, ...]
    calidad_labels: Mapping[str, str]

    def with_params(self, overrides: Mapping[str, float] | None) -> Scheme:
        """Return a copy whose thresholds are overridden by ``overrides``.

        Raises :class:`SpecError` for a name the scheme does not have.
        """
        if not overrides:
            return self
        unknown = [k for k in overrides if k not in self.params]
        if unknown:
            close = [m for k in unknown for m in get_close_matches(k, self.params, n=1)]
            params = ", ".join(self.params)
            raise SpecError(
                Message("quality.scheme_no_param", scheme=self.name, names=", ".join(map(repr, unknown))),
                hint=Message("quality.scheme_no_param.hint_close", close=", ".join(map(repr, close)), params=params)
                if close else Message("quality.scheme_no_param.hint", params=params),
            )
        bad = {k: v for k, v in overrides.items() if not isinstance(v, (int, float)) or isinstance(v, bool)}
        if bad:
            k, v = next(iter(bad.items()))
            raise SpecError(Message("quality.param_not_number", name=k, scheme=self.name, value=v),
                            hint=Message("quality.param_not_number.hint", name=k, default=self.params[k]))
        merged = {**self.params, **{k: float(v) for k, v in overrides.items()}}
        return replace(self, params=MappingProxyType(merged))

    def rank(self, code: str) -> int:
        """Position of ``code`` from best (0) to worst."""
        return self.codes.index(code)


_LEVELS = (RELIABLE, WEAKLY_RELIABLE, NON_RELIABLE)

CHILE = Scheme(
    name="chile",
    title="INE Chile 2020 (household surveys)",
    params=MappingProxyType({"n": 60.0, "df": 9.0, "cv_lower_ine": 0.15, "cv_upper_ine": 0.30}),
    codes=_LEVELS,
    calidad_labels=MappingProxyType(
        {RELIABLE: "reliable", WEAKLY_RELIABLE: "weakly reliable", NON_RELIABLE: "non-reliable"}
    ),
)

ECLAC_2023 = Scheme(
    name="eclac_2023",
    title="ECLAC 2023 (household surveys)",
    params=MappingProxyType(
        {
            "n": 100.0,
            "df": 9.0,
            "cv_lower_cepal": 0.20,
            "cv_upper_cepal": 0.30,
            "ess": 60.0,
            "cvlog_max": 0.175,
            "CCNP_b": 50.0,
            "CCNP_a": 30.0,
        }
    ),
    codes=_LEVELS,
    calidad_labels=MappingProxyType(
        {RELIABLE: "reliable", WEAKLY_RELIABLE: "weakly-reliable", NON_RELIABLE: "non-reliable"}
    ),
)

ECLAC_2020 = Scheme(
    name="eclac_2020",
    title="ECLAC 2020 (household surveys)",
    params=MappingProxyType(
        {"n": 100.0, "df": 9.0, "cv_cepal": 0.20, "ess": 140.0, "unweighted": 50.0, "log_cv": 0.175}
    ),
    codes=(PUBLISH, REVIEW, SUPPRESS),
    # calidad spells the last one "supress"
    calidad_labels=MappingProxyType({PUBLISH: "publish", REVIEW: "review", SUPPRESS: "supress"}),
)

CHILE_ECONOMICS = Scheme(
    name="chile_economics",
    title="INE Chile 2024 (economic surveys)",
    params=MappingProxyType({"n": 30.0, "df": 9.0, "cv_lower_econ": 0.20, "cv_upper_econ": 0.30}),
    codes=_LEVELS,
    calidad_labels=MappingProxyType(
        {RELIABLE: "reliable", WEAKLY_RELIABLE: "weakly reliable", NON_RELIABLE: "non-reliable"}
    ),
)

SCHEMES: Mapping[str, Scheme] = MappingProxyType(
    {s.name: s for s in (CHILE, ECLAC_2023, ECLAC_2020, CHILE_ECONOMICS)}
)


def get_scheme(scheme: str | Scheme, overrides: Mapping[str, float] | None = None) -> Scheme:
    """Look a scheme up by name (``"chile"``, ``"eclac_2023"``, ``"eclac_2020"``).

    ``overrides`` replaces thresholds, as the ``...`` arguments of
    ``calidad::assess`` do (e.g. ``{"n": 30}``).
    """
    if isinstance(scheme, Scheme):
        return scheme.with_params(overrides)
    found = SCHEMES.get(str(scheme).strip().lower())
    if found is None:
        close = get_close_matches(str(scheme), SCHEMES, n=1)
        raise SpecError(
            Message("quality.unknown_scheme", scheme=scheme),
            hint=Message("quality.unknown_scheme.hint_close", close=close[0], schemes=", ".join(SCHEMES))
            if close else Message("quality.unknown_scheme.hint", schemes=", ".join(SCHEMES)),
        )
    return found.with_params(overrides)


__all__ = [
    "CHILE",
    "CHILE_ECONOMICS",
    "ECLAC_2020",
    "ECLAC_2023",
    "NON_RELIABLE",
    "NOT_SIGNIFICANT",
    "PUBLISH",
    "RELIABLE",
    "REVIEW",
    "SCHEMES",
    "SIGNIFICANT",
    "SUPPRESS",
    "WEAKLY_RELIABLE",
    "Scheme",
    "get_scheme",
]
