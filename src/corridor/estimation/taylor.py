"""Taylor-linearisation variances from unit totals of influence values.

This is the one place where strata, stages, finite-population corrections
and the lonely-PSU rules are applied (Lumley 2010, ch. 2; the recursion of
R's ``svyrecvar``). Each output row ``k`` has an influence value per row,
``z = a_num * w * v_num + a_den * w * v_den``, so its unit totals are the
same linear combination of the scan's group sums. Everything is vectorised
over (output, unit) and (output, stratum) pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from corridor.design import Design
from corridor.errors import LonelyPSUError
from corridor.estimation.structure import Stage, Structure, factorize

_CERTAINTY = 1e-7


@dataclass
class Pairs:
    """(output, group) pairs: each output with the groups of its domain."""

    out: np.ndarray
    group: np.ndarray
    z: np.ndarray  # influence total of the group for that output
    present: np.ndarray  # group has rows counted for that output
    rows: np.ndarray  # rows counted for that output in the group


def make_pairs(domain_of_output: np.ndarray, group_domain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(output, group) index pairs: every output with each group of its domain."""
    order = np.argsort(group_domain, kind="stable")
    sorted_dom = group_domain[order]
    n_dom = int(max(domain_of_output.max(initial=-1), group_domain.max(initial=-1))) + 1
    starts = np.searchsorted(sorted_dom, np.arange(n_dom), side="left")
    ends = np.searchsorted(sorted_dom, np.arange(n_dom), side="right")
    valid = domain_of_output >= 0
    d = np.where(valid, domain_of_output, 0)
    lengths = np.where(valid, ends[d] - starts[d], 0)
    out = np.repeat(np.arange(len(domain_of_output)), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    group = order[np.repeat(starts[d], lengths) + offsets]
    return out, group


def _lonely_error(stage_no: int, stage: Stage, strata: np.ndarray) -> LonelyPSUError:
    names = ", ".join(stage.stratum_labels[int(h)] for h in strata[:5])
    more = f" and {len(strata) - 5} more" if len(strata) > 5 else ""
    return LonelyPSUError(
        f"stratum {names}{more} has only one PSU at stage {stage_no}",
        hint="choose a rule for strata with one PSU: lonely_psu='adjust', 'average', 'remove' or 'certainty' "
        "(--lonely-psu), or merge such strata with a neighbour",
    )


def _stratum_contrib(
    key_out: np.ndarray, key_h: np.ndarray, total: np.ndarray, sumsq_dev_present: np.ndarray, sq_present: np.ndarray,
    m: np.ndarray, stage: Stage, design: Design, stage_no: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Contribution of each (output, stratum) pair, and whether it is 'missing' (average rule)."""
    n = stage.n[key_h]
    f = stage.f[key_h]
    mean = total / n
    q = sumsq_dev_present + (n - m) * mean**2
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(n > 1, f * n / (n - 1), f)
    contrib = scale * q
    na = np.zeros(len(contrib), dtype=bool)
    lonely = n == 1
    rule = design.lonely_psu
    if lonely.any():
        if rule == "fail":
            active = lonely & (f >= _CERTAINTY)
            if active.any():
                raise _lonely_error(stage_no, stage, np.unique(key_h[active]))
        elif rule in ("remove", "certainty"):
            contrib[lonely] = 0.0
        elif rule == "adjust":
            contrib[lonely] = f[lonely] * sq_present[lonely]
        elif rule == "average":
            na |= lonely
    if design.adjust_domain_lonely:
        dlonely = (m == 1) & (n > 1)
        if rule == "adjust":
            contrib[dlonely] = scale[dlonely] * sq_present[dlonely]
        elif rule == "average":
            na |= dlonely
    certain = f < _CERTAINTY
    contrib[certain] = 0.0
    na &= ~certain
    return contrib * stage.mult[key_h], na


def _scaled_sum(key_out: np.ndarray, parent: np.ndarray, contrib: np.ndarray, na: np.ndarray, n_out: int) -> np.ndarray:
    """Sum stratum contributions per output, rescaling for 'average' strata within each parent."""
    if not na.any():
        return np.bincount(key_out, weights=contrib, minlength=n_out)
    n_parent = int(parent.max()) + 1 if parent.size else 1
    keys, inv = factorize(key_out * n_parent + parent)
    nstrat = np.bincount(inv, minlength=len(keys)).astype(float)
    nok = np.bincount(inv, weights=(~na).astype(float), minlength=len(keys))
    ok_sum = np.bincount(inv, weights=np.where(na, 0.0, contrib), minlength=len(keys))
    with np.errstate(invalid="ignore", divide="ignore"):
        per_parent = ok_sum * nstrat / nok
    return np.bincount(keys // n_parent, weights=per_parent, minlength=n_out)


def variance_clustered(pairs: Pairs, structure: Structure, design: Design, n_out: int) -> np.ndarray:
    """Variance of each output for a clustered design (groups lie within last-stage units)."""
    var = np.zeros(n_out)
    last = len(design.fpc) if not design.ultimate_cluster else 1
    for s, stage in enumerate(structure.stages):
        if s > 0 and s >= last:
            break
        unit = stage.unit[pairs.group]
        n_units = len(stage.unit_stratum)
        key = pairs.out * n_units + unit
        ukeys, inv = factorize(key, n_out * n_units)
        ztot = np.bincount(inv, weights=pairs.z, minlength=len(ukeys))
        pres = np.bincount(inv, weights=pairs.present.astype(float), minlength=len(ukeys)) > 0
        ukeys, ztot = ukeys[pres], ztot[pres]
        u_out, u_unit = ukeys // n_units, ukeys % n_units
        u_h = stage.unit_stratum[u_unit]
        n_strata = len(stage.n)
        hkey = u_out * n_strata + u_h
        hkeys, hinv = factorize(hkey, n_out * n_strata)
        total = np.bincount(hinv, weights=ztot, minlength=len(hkeys))
        m = np.bincount(hinv, minlength=len(hkeys)).astype(float)
        h_of = hkeys % n_strata
        mean = total / stage.n[h_of]
        dev2 = np.bincount(hinv, weights=(ztot - mean[hinv]) ** 2, minlength=len(hkeys))
        sq = np.bincount(hinv, weights=ztot**2, minlength=len(hkeys))
        out_of = hkeys // n_strata
        contrib, na = _stratum_contrib(out_of, h_of, total, dev2, sq, m, stage, design, s + 1)
        if s == 0:
            parent = np.zeros(len(h_of), dtype=np.int64)
        else:
            # the parent unit of a later-stage stratum: any of its units' parent
            first_unit = np.zeros(n_strata, dtype=np.int64)
            first_unit[stage.unit_stratum] = np.arange(n_units)
            parent = stage.unit_parent[first_unit[h_of]]
        var += _scaled_sum(out_of, parent, contrib, na, n_out)
    return var


def variance_elements(
    pairs: Pairs, structure: Structure, design: Design, n_out: int, within: np.ndarray
) -> np.ndarray:
    """Variance when every row is its own PSU: groups are (domain, stratum).

    ``within[p]`` is the population variance of pair ``p``'s influence values
    over the group's counted rows, so that the centred sum of squares of a
    stratum is the within-group part plus the between-group part, with the
    stratum's rows outside the domain counted as zeros.
    """
    stage = structure.stages[0]
    h = stage.stratum[pairs.group]
    n_strata = len(stage.n)
    m_rows = pairs.rows
    key = pairs.out * n_strata + h
    keys, inv = factorize(key, n_out * n_strata)
    total = np.bincount(inv, weights=pairs.z, minlength=len(keys))
    m = np.bincount(inv, weights=m_rows, minlength=len(keys))
    h_of = keys % n_strata
    mean = total / stage.n[h_of]
    with np.errstate(invalid="ignore", divide="ignore"):
        gmean = np.where(m_rows > 0, pairs.z / np.where(m_rows > 0, m_rows, 1.0), 0.0)
    dev2 = np.bincount(inv, weights=m_rows * (within + (gmean - mean[inv]) ** 2), minlength=len(keys))
    sq = np.bincount(inv, weights=m_rows * (within + gmean**2), minlength=len(keys))
    keep = m > 0
    keys, total, sq, m, dev2, h_of = keys[keep], total[keep], sq[keep], m[keep], dev2[keep], h_of[keep]
    out_of = keys // n_strata
    contrib, na = _stratum_contrib(out_of, h_of, total, dev2, sq, m, stage, design, 1)
    return _scaled_sum(out_of, np.zeros(len(h_of), dtype=np.int64), contrib, na, n_out)


def unit_totals_matrix(pairs: Pairs, structure: Structure, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense first-stage unit totals (units x outputs) and each unit's stratum, for covariances."""
    stage = structure.stages[0]
    n_units = len(stage.unit_stratum)
    zmat = np.zeros((n_units, n_out))
    np.add.at(zmat, (stage.unit[pairs.group], pairs.out), pairs.z)
    return zmat, stage.unit_stratum


def covariance_clustered(zmat: np.ndarray, unit_stratum: np.ndarray, structure: Structure, design: Design) -> np.ndarray:
    """Full covariance of outputs on the whole design (as R's ``svyby(..., covmat=TRUE)``), first stage."""
    stage = structure.stages[0]
    n_strata = len(stage.n)
    sums = np.zeros((n_strata, zmat.shape[1]))
    np.add.at(sums, unit_stratum, zmat)
    means = sums / stage.n[:, None]
    dev = zmat - means[unit_stratum]
    n, f = stage.n, stage.f
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(n > 1, f * n / (n - 1), f)
    lonely = n == 1
    if lonely.any():
        if design.lonely_psu == "fail":
            raise _lonely_error(1, stage, np.flatnonzero(lonely & (f >= _CERTAINTY)))
        if design.lonely_psu == "adjust":
            dev[lonely[unit_stratum]] = zmat[lonely[unit_stratum]]
        else:
            scale = np.where(lonely, 0.0, scale)
    scale = np.where(f < _CERTAINTY, 0.0, scale)
    cov = (dev * scale[unit_stratum, None]).T @ dev
    if design.lonely_psu == "average" and lonely.any():
        ok = ~lonely & (f >= _CERTAINTY)
        cov *= n_strata / max(int(ok.sum() + (f < _CERTAINTY).sum()), 1)
    return cov
