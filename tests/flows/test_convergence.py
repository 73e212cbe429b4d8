"""Every iterative fit in flows reports its iterations and final gap, and raises (or, with
on_nonconvergence="warn", flags) when it does not converge: in Python and on the command line,
as a user meets it."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pytest
from click.testing import CliRunner

from corridor.cli import main
from corridor.errors import EstimationError
from corridor.flows import cm2, cm3, ffs_demo, ffs_demo_intervals, ipf2, ipf3
from corridor.flows.newton import fit_margins_newton

from .flows_refdata import case, write_demography

E3 = case("ffs_demo", "e3")["inputs"]  # open-dr, with births and deaths
E5 = case("ffs_demo", "e5")["inputs"]
ROW = [150.0, 200.0, 130.0]
COL = [100.0, 230.0, 150.0]
SEED = [[5.0, 1.0, 0.2], [1.0, 8.0, 2.0], [0.3, 2.0, 6.0]]


def _warned(func, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = func(*args, **kwargs)
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert messages, "no RuntimeWarning"
    return res, messages


def test_ipf2_raises_with_iterations_and_gap():
    with pytest.raises(EstimationError) as err:
        ipf2(ROW, COL, SEED, maxit=2)
    text = str(err.value)
    assert re.search(r"ipf2: IPF did not converge after 2 iterations \(maxit 2\); largest gap between a fitted "
                     r"margin and its target [0-9.e+-]+ \(tol 1e-05\)", text), text
    assert "Hint: raise maxit or loosen tol, or pass on_nonconvergence='warn'" in text
    res, messages = _warned(ipf2, ROW, COL, SEED, maxit=2, on_nonconvergence="warn")
    assert res.flags == ("not_converged",) and not res.converged and res.iterations == 2 and res.gap > 1e-5
    assert "flagged 'not_converged'" in messages[0]
    ok = ipf2(ROW, COL, m=SEED)  # migest's name for the offset
    assert ok.converged and ok.flags == () and ok.gap <= 1e-5 and 2 < ok.iterations < 500


def test_ipf3_raises_and_flags():
    row = np.array([[50.0, 40.0], [30.0, 60.0], [20.0, 10.0]])  # origin x type
    col = np.array([[45.0, 35.0, 20.0], [50.0, 40.0, 20.0]])  # type x destination
    with pytest.raises(EstimationError, match=r"ipf3: IPF did not converge after 1 iterations"):
        ipf3(row, col, maxit=1, m=np.array(SEED))
    res, _ = _warned(ipf3, row, col, np.array(SEED), maxit=1, on_nonconvergence="warn")
    assert res.flags == ("not_converged",)
    assert ipf3(row, col, np.array(SEED)).converged


def test_cm2_and_cm3_raise_and_flag():
    with pytest.raises(EstimationError, match=r"cm2: conditional maximisation did not converge after 3 iterations "
                                              r"\(maxit 3\); largest change of a parameter"):
        cm2(ROW, COL, SEED, maxit=3)
    res, _ = _warned(cm2, ROW, COL, SEED, maxit=3, on_nonconvergence="warn")
    assert res.flags == ("not_converged",) and res.gap > 1e-6 and not res.converged
    good = cm2(ROW, COL, m=SEED)
    assert good.converged and good.gap <= 1e-6
    m3 = np.repeat(np.array(SEED)[:, :, None], 2, axis=2)
    with pytest.raises(EstimationError, match="cm3: conditional maximisation did not converge"):
        cm3(ROW, COL, m3, maxit=2)
    assert cm3(ROW, COL, m=m3).converged


def test_newton_raises_and_flags():
    seed = np.array(SEED)
    with pytest.raises(EstimationError, match=r"fit_margins_newton: Newton did not converge after 1 iterations "
                                              r"\(maxit 1\); largest margin gap relative to the table total"):
        fit_margins_newton(seed, ROW, COL, tol=1e-12, maxit=1)
    res, _ = _warned(fit_margins_newton, seed, ROW, COL, tol=1e-12, maxit=1, on_nonconvergence="warn")
    assert res.flags == ("not_converged",)
    good = fit_margins_newton(seed, ROW, COL, tol=1e-12, maxit=50)
    assert good.converged and good.gap <= 1e-12


def test_iterations_are_the_steps_taken():
    # Newton: a fit that needs n steps converges with maxit=n (it was judged on the gap before its
    # last step, and failed); with n - 1 the gap is that of the table returned
    seed = np.array(SEED)
    n = fit_margins_newton(seed, ROW, COL, tol=1e-12, maxit=50).iterations
    assert n >= 2
    assert fit_margins_newton(seed, ROW, COL, tol=1e-12, maxit=n).converged
    short, _ = _warned(fit_margins_newton, seed, ROW, COL, tol=1e-12, maxit=n - 1, on_nonconvergence="warn")
    assert short.iterations == n - 1 and not short.converged
    own_gap = max(np.abs(short.mu.sum(axis=1) - ROW).max(), np.abs(short.mu.sum(axis=0) - COL).max()) / sum(ROW)
    assert short.gap == pytest.approx(own_gap, rel=1e-9)
    # conditional maximisation: maxit=3 is three updates of alpha and beta (migest stops after 2)
    res, _ = _warned(cm2, ROW, COL, SEED, maxit=3, on_nonconvergence="warn")
    alpha, beta, m = np.ones(3), np.ones(3), np.array(SEED)
    for _ in range(3):
        alpha = np.array(ROW) / (m @ beta)
        beta = np.array(COL) / (alpha @ m)
    assert res.iterations == 3
    np.testing.assert_allclose(res.n, np.outer(alpha, beta) * m, rtol=1e-15)


def test_death_accounting_that_cannot_converge_is_an_error():
    args = (E3["stock_start"], E3["stock_end"], E3["births"], E3["deaths"])
    with pytest.raises(EstimationError) as err:
        ffs_demo(*args, match_birthplace_tot_method="open", death_method="accounting")
    text = str(err.value)
    assert "deaths by birthplace (death_method='accounting'): IPF did not converge after 500 iterations" in text
    assert re.search(r"implied by the stocks and births sum to [0-9.,]+ but the deaths given sum to 160", text), text
    assert "match_global='before-demo-adjust'" in text and "death_method='proportion'" in text
    res, _messages = _warned(ffs_demo, *args, match_birthplace_tot_method="open", death_method="accounting",
                            on_nonconvergence="warn")
    assert res.flags == ("not_converged",) and not res.converged
    deaths = next(c for c in res.convergence if c.step.startswith("deaths"))
    assert deaths.iterations == 500 and deaths.gap > 1 and not deaths.converged
    # the caller's iteration limit is used
    with pytest.raises(EstimationError, match="after 20 iterations"):
        ffs_demo(*args, match_birthplace_tot_method="open", death_method="accounting", death_maxit=20)


def test_death_accounting_that_converges_reports_its_fit():
    res = ffs_demo(E5["stock_start"], E5["stock_end"], E5["births"], E5["deaths"], death_method="accounting")
    deaths = next(c for c in res.convergence if c.step.startswith("deaths"))
    assert deaths.converged and deaths.gap <= 1e-5 and 1 < deaths.iterations < 500
    assert res.converged and res.flags == ()
    tight = ffs_demo(E5["stock_start"], E5["stock_end"], E5["births"], E5["deaths"], death_method="accounting",
                     death_tol=1e-11, death_maxit=10_000)
    assert next(c for c in tight.convergence if c.step.startswith("deaths")).gap <= 1e-11


def test_rescale_ipf_raises_with_the_step():
    with pytest.raises(EstimationError, match=r"rescaling the start stock table to common birthplace totals: IPF "
                                              r"did not converge after 2 iterations \(maxit 2\); largest change of "
                                              r"a fitted cell"):
        ffs_demo(E5["stock_start"], E5["stock_end"], E5["births"], E5["deaths"], solver="ipf", maxit=2)
    res = ffs_demo(E5["stock_start"], E5["stock_end"], E5["births"], E5["deaths"], solver="ipf")
    steps = [c.step for c in res.convergence]
    assert any("start stock" in s for s in steps) and any("end stock" in s for s in steps)
    assert all(c.converged and c.gap < 1e-3 and c.iterations >= 1 for c in res.convergence)


def test_newton_falls_back_to_ipf_and_says_so():
    res = ffs_demo(E5["stock_start"], E5["stock_end"], E5["births"], E5["deaths"], solver="newton", newton_maxit=1)
    methods = [(c.method, c.converged) for c in res.convergence]
    assert ("Newton", False) in methods and ("IPF", True) in methods
    assert res.converged and res.flags == ()
    ipf = ffs_demo(E5["stock_start"], E5["stock_end"], E5["births"], E5["deaths"], solver="ipf")
    np.testing.assert_allclose(res.od, ipf.od, rtol=1e-12)


def test_independence_model_with_seed_raises():
    e2 = case("ffs_demo", "e2")["inputs"]
    with pytest.raises(EstimationError, match=r"flows by birthplace \(independence model with seed\): IPF did not "
                                              r"converge after 1 iterations"):
        ffs_demo(e2["stock_start"], e2["stock_end"], seed=e2["seed"], stayer_assumption=False, maxit=1)


def test_intervals_carry_the_fits_and_flags():
    stocks = np.stack([E3["stock_start"], E3["stock_end"]]).astype(float)
    with pytest.raises(EstimationError, match="deaths by birthplace"):
        ffs_demo_intervals(stocks, [E3["births"]], [E3["deaths"]], rel_error=0.001, n_resamples=20, random_state=1,
                           match_birthplace_tot_method="open", death_method="accounting")
    iv, _messages = _warned(ffs_demo_intervals, stocks, [E3["births"]], [E3["deaths"]], rel_error=0.001, n_resamples=20,
                           random_state=1, match_birthplace_tot_method="open", death_method="accounting",
                           on_nonconvergence="warn")
    assert iv.flags == ("not_converged",)
    assert any("deaths by birthplace" in c.step and not c.converged for c in iv.convergence)
    ok = ffs_demo_intervals(stocks, [E3["births"]], [E3["deaths"]], rel_error=0.05, n_resamples=20, random_state=1,
                            match_birthplace_tot_method="open-dr")
    assert ok.flags == () and ok.settings["resample_batches_not_converged"] == 0


@pytest.fixture(scope="module")
def demography(tmp_path_factory):
    path = tmp_path_factory.mktemp("vital") / "vital.csv"
    write_demography(path, ["COL", "CHL", "PER", "ARG", "BOL"])
    return str(path)


def _demo(demography, *extra):
    return CliRunner().invoke(main, ["flows", "demo", "--origin", "COL", "--destination", "CHL", "--demography",
                                     demography, "--resamples", "10", "--format", "json", *extra])


def test_cli_reports_the_fits(demography):
    res = _demo(demography, "--solver", "ipf")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    fits = [n for n in out["notes"] if n.startswith("fit: ")]
    assert fits and all("IPF converged after" in n and "(tol 0.001)" in n for n in fits)
    assert all(r["flag"] is None for r in out["rows"])


def test_cli_rescale_that_does_not_converge(demography):
    res = _demo(demography, "--solver", "ipf", "--maxit", "2")
    assert res.exit_code != 0
    assert "rescaling the start stock table to common birthplace totals: IPF did not converge after 2 iterations" \
        in res.output
    assert "--on-nonconvergence" in res.output or "on_nonconvergence='warn'" in res.output


def test_cli_death_accounting_that_does_not_converge(demography):
    res = _demo(demography, "--death-method", "accounting", "--match-birthplace", "open")
    assert res.exit_code != 0
    assert "deaths by birthplace (death_method='accounting'): IPF did not converge after 500 iterations" in res.output
    assert "deaths given sum to" in res.output
    warned = _demo(demography, "--death-method", "accounting", "--match-birthplace", "open",
                   "--on-nonconvergence", "warn", "--relative-error", "0")
    assert warned.exit_code == 0, warned.output
    out = json.loads(warned.output[warned.output.index("{"):])
    assert {r["flag"] for r in out["rows"]} == {"not_converged"}
    assert any(n.startswith("flag not_converged") for n in out["notes"])
    assert any("deaths by birthplace" in n and "did not converge after 500 iterations" in n for n in out["notes"])


def test_cli_newton_fallback(demography):
    res = _demo(demography, "--solver", "newton", "--newton-maxit", "1")
    assert res.exit_code == 0, res.output
    notes = json.loads(res.output)["notes"]
    assert any("Newton did not converge after 1 iterations" in n for n in notes)
    assert any("IPF converged" in n for n in notes)


def test_fits_read_in_the_users_language():
    """A fit's report (step, method, criterion, reasons, hint) reads in the reader's language, its
    numbers with the language's separators; the pseudo-language shows no text outside the catalogue."""
    from corridor.i18n import PSEUDO, language

    args = (E3["stock_start"], E3["stock_end"], E3["births"], E3["deaths"])
    with pytest.raises(EstimationError) as err:
        ffs_demo(*args, match_birthplace_tot_method="open", death_method="accounting")
    es, fr, qps = (err.value.text(lang) for lang in ("es", "fr", PSEUDO))
    assert "defunciones por lugar de nacimiento (death_method='accounting'): IPF no convergió tras 500 iteraciones" in es
    assert "mayor diferencia entre un margen ajustado y su objetivo" in es and "las defunciones dadas suman 160" in es
    assert "décès par lieu de naissance (death_method='accounting') : IPF n'a pas convergé après 500 itérations" in fr
    assert "ou utilisez death_method='proportion'" in fr
    assert "did not converge" not in es + fr and "deaths given" not in es + fr
    # every word of the report is the catalogue's: outside brackets only codes, numbers and punctuation
    outside = re.sub(r"⟦[^⟧]*⟧", "", qps)
    assert not re.search(r"\b(converge|iterations|deaths|largest|implied)\b", outside), outside
    # a step that is a function's name, a method that is a word, a gap written with a decimal comma
    with pytest.raises(EstimationError) as cm:
        cm2(ROW, COL, SEED, maxit=3)
    text = cm.value.text("fr")
    assert re.search(r"cm2 : maximisation conditionnelle n'a pas convergé après 3 itérations \(maxit 3\) ; plus "
                     r"grande variation d'un paramètre lors de la dernière itération [0-9]+,[0-9]+", text), text
    with language("es"):
        _, messages = _warned(ipf2, ROW, COL, SEED, maxit=2, on_nonconvergence="warn")
    assert "ipf2: IPF no convergió tras 2 iteraciones" in messages[0]
    assert "el resultado lleva la marca 'not_converged'" in messages[0]


def test_cli_notes_on_fits_in_spanish(demography):
    res = CliRunner().invoke(main, ["--lang", "es", "flows", "demo", "--origin", "COL", "--destination", "CHL",
                                    "--demography", demography, "--resamples", "10", "--format", "json",
                                    "--solver", "newton", "--newton-maxit", "1"])
    assert res.exit_code == 0, res.output
    notes = json.loads(res.output)["notes"]
    assert any("reescalado de la tabla de stocks inicial" in n and "Newton no convergió tras 1 iteraciones" in n
               for n in notes), notes
    assert not any("converged" in n for n in notes), notes
