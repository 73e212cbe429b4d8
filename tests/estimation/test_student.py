"""Student t quantiles solved by corridor, held to SciPy's (the reference implementation)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from corridor.estimation import intervals

DFS = np.array([0.2, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 9.99, 10, 12, 30, 99, 100, 420, 999, 1000, 3500, 9999,
                1e4, 1e5, 3e6, 1e9])


@pytest.mark.parametrize("q", [0.975, 0.95, 0.9, 0.995, 0.9995, 0.999999, 0.75, 0.6, 0.025, 0.005])
def test_quantiles_match_scipy_on_a_grid(q: float) -> None:
    intervals._CACHE.clear()
    got = intervals.student_quantile(q, DFS)
    np.testing.assert_allclose(got, special.stdtrit(DFS, q), rtol=1e-10)


@settings(max_examples=300, deadline=None)
@given(st.floats(0.55, 1 - 1e-9), st.floats(0.2, 1e8))
def test_the_quantile_has_the_requested_probability(q: float, df: float) -> None:
    """Checked through SciPy's distribution function, which is accurate where its inverse is not (near 0.5)."""
    intervals._CACHE.clear()
    t = intervals.student_quantile(q, np.array([df]))[0]
    assert special.stdtr(df, t) == pytest.approx(q, rel=1e-11)
    assert t == pytest.approx(special.stdtrit(df, q), rel=1e-8)


def test_special_degrees_of_freedom() -> None:
    out = intervals.student_quantile(0.975, np.array([np.inf, 0.0, -3.0, np.nan]))
    assert out[0] == pytest.approx(special.ndtri(0.975), rel=1e-15)
    assert np.isnan(out[1:]).all()
    assert intervals.student_quantile(0.5, np.array([3.0]))[0] == 0.0
    assert intervals.student_quantile(0.025, np.array([7.0]))[0] == -intervals.student_quantile(0.975, np.array([7.0]))[0]
    assert np.isnan(intervals.student_quantile(1.0, np.array([7.0]))).all()
    assert intervals.t_quantile(0.95, 30.0).shape == ()  # scalars stay scalars


def test_estimating_needs_no_scipy(tmp_path) -> None:
    """SciPy (0.14 s to import) is used only by the Korn-Graubard beta intervals."""
    import subprocess
    import sys

    csv = tmp_path / "s.csv"
    csv.write_text("h,psu,w,y,g\n1,1,1.0,1.0,a\n1,2,2.0,2.0,b\n2,3,1.5,3.0,a\n2,4,1.0,4.0,b\n")
    code = (
        "import sys, corridor as cr\n"
        f"cr.estimate({str(csv)!r}, cr.Design(weights='w', strata='h', ids='psu'),"
        " [cr.Total('y'), cr.Mean('y'), cr.Proportion('g'), cr.Proportion('g', method='wilson')], by=[[], ['g']])\n"
        "print('scipy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
