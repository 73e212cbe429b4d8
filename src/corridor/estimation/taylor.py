"""Taylor-linearisation variances from unit totals of influence values.

This is the one place where strata, stages, finite-population corrections
and the lonely-PSU rules are applied (Lumley 2010, ch. 2; the recursion of
R's ``svyrecvar``). Each output row ``k`` has an influence value per row,
``z = a_num * w * v_num + a_den * w * v_den``, so its unit totals are the
same linear combination of the scan's group sums. Everything is vectorised
over (output, unit) and (output, stratum) pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass
class Blocks:
    """Influence totals of several outputs that share their domains' groups.

    Entry ``e`` is scan group ``group[e]`` inside domain ``domain[e]``; column
    ``o`` of ``z``, ``present`` and ``rows`` belongs to output ``domain * O + o``.
    Outputs of one domain read the same groups, so this is the (output, group)
    pair list without repeating the groups once per output: index work is done
    once per domain, arithmetic per output column.
    """

    domain: np.ndarray
    group: np.ndarray
    z: np.ndarray  # entries x O
    present: np.ndarray  # entries x O, bool
    rows: np.ndarray  # entries x O
    n_dom: int
    # (unit codes, cell keys, entry -> cell) of a stage, known beforehand; keys None: entries are cells
    seed: tuple[np.ndarray, np.ndarray | None, np.ndarray | None] | None = None
    _units: dict[int, Cells] = field(default_factory=dict, repr=False)
    # per output: PSUs minus strata with members (R's degf of a domain), found by the variance pass
    domain_df: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def single(cls, pairs: Pairs, n_out: int) -> Blocks:
        """The blocks of a pair list (one output per domain)."""
        return cls(pairs.out, pairs.group, pairs.z[:, None], pairs.present[:, None], pairs.rows[:, None], n_out)

    @property
    def n_out(self) -> int:
        return self.n_dom * self.z.shape[1]

    def pairs(self) -> Pairs:
        """The same entries as an (output, group) pair list."""
        width = self.z.shape[1]
        out = (self.domain[:, None] * width + np.arange(width)).ravel()
        group = np.repeat(self.group, width)
        return Pairs(out=out, group=group, z=self.z.ravel(), present=self.present.ravel(), rows=self.rows.ravel())

    def units(self, s: int, stage: Stage) -> Cells:
        """The (domain, unit) and (domain, stratum) cells of stage ``s``."""
        if s not in self._units:
            n_units, n_strata = len(stage.unit_stratum), len(stage.n)
            if self.seed is not None and self.seed[0] is stage.unit and self.seed[1] is None:
                # entries are every scan group, in order, when there are as many as groups
                stratum = stage.stratum if len(self.group) == len(stage.stratum) else stage.stratum[self.group]
                key = np.multiply(self.domain, n_strata, dtype=np.int64)
                key += stratum
                hkeys, hinv = cells_of(key, self.n_dom * n_strata)
                self._units[s] = Cells(None, self.domain, hinv, hkeys // n_strata, hkeys % n_strata)
                return self._units[s]
            if self.seed is not None and self.seed[0] is stage.unit:
                ukeys, inv = self.seed[1], self.seed[2]
            else:
                ukeys, inv = factorize(self.domain * n_units + stage.unit[self.group], self.n_dom * n_units)
            u_dom = ukeys // n_units
            hkeys, hinv = cells_of(u_dom * n_strata + stage.unit_stratum[ukeys % n_units], self.n_dom * n_strata)
            if len(ukeys) == len(self.group):
                # every entry is a cell of its own: work in entry order, no sums per cell needed
                self._units[s] = Cells(None, self.domain, hinv[inv], hkeys // n_strata, hkeys % n_strata)
            else:
                self._units[s] = Cells(inv, u_dom, hinv, hkeys // n_strata, hkeys % n_strata)
        return self._units[s]


def cells_of(key: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell keys and each entry's cell: every key below ``bound`` when that is not many more than
    the entries (no ranking pass; empty cells are dropped later), else the distinct keys."""
    if bound <= max(2 * len(key), 1 << 16):
        return np.arange(bound), key
    return factorize(key, bound)


@dataclass
class Cells:
    """Entries of :class:`Blocks` in (domain, unit) cells and those in (domain, stratum) cells."""

    inv: np.ndarray | None  # entry -> (domain, unit) cell; None when every entry is its own cell
    u_dom: np.ndarray  # (domain, unit) cell -> domain (in entry order when inv is None)
    hinv: np.ndarray  # (domain, unit) cell -> (domain, stratum) cell
    h_dom: np.ndarray  # (domain, stratum) cell -> domain
    h_of: np.ndarray  # (domain, stratum) cell -> stratum

    def present_cells(self, blocks: Blocks, o: int, need_z: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For output column ``o``: which unit cells have rows, their z totals, their stratum cells."""
        if self.inv is None:
            pres = blocks.present[:, o]
            if pres.all():
                return pres, blocks.z[:, o], self.hinv
            z = blocks.z[pres, o] if need_z else blocks.z[:0, o]
            return pres, z, self.hinv[pres]
        n = len(self.hinv)
        pres = np.bincount(self.inv, weights=blocks.present[:, o], minlength=n) > 0
        z = np.bincount(self.inv, weights=blocks.z[:, o], minlength=n)[pres] if need_z else blocks.z[:0, o]
        return pres, z, self.hinv[pres]


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


def variance_clustered(blocks: Blocks, structure: Structure, design: Design) -> np.ndarray:
    """Variance of each output for a clustered design (groups lie within last-stage units)."""
    width = blocks.z.shape[1]
    var = np.zeros(blocks.n_out)
    last = len(design.fpc) if not design.ultimate_cluster else 1
    for s, stage in enumerate(structure.stages):
        if s > 0 and s >= last:
            break
        cells = blocks.units(s, stage)
        h_dom, h_of = cells.h_dom, cells.h_of
        n_hcells = len(h_dom)
        if s == 0:
            parent = np.zeros(n_hcells, dtype=np.int64)
        else:
            # the parent unit of a later-stage stratum: any of its units' parent
            n_units = len(stage.unit_stratum)
            first_unit = np.zeros(len(stage.n), dtype=np.int64)
            first_unit[stage.unit_stratum] = np.arange(n_units)
            parent = stage.unit_parent[first_unit[h_of]]
        lonely_rules = bool((stage.n == 1).any()) or design.adjust_domain_lonely
        if s == 0:
            blocks.domain_df = np.empty(blocks.n_out)
        m_all: np.ndarray | None = None  # units per cell when every unit is present (shared by outputs)
        buf = np.empty(len(cells.hinv))  # reused: fresh large arrays cost page faults
        for o in range(width):
            _pres, zt, hi = cells.present_cells(blocks, o)
            total = np.bincount(hi, weights=zt, minlength=n_hcells)
            if m_all is not None and len(hi) == len(cells.hinv):
                m = m_all
            else:
                m = np.bincount(hi, minlength=n_hcells).astype(float)
                if len(hi) == len(cells.hinv):
                    m_all = m
            mean = total / stage.n[h_of]
            dev = buf[: len(hi)]
            np.take(mean, hi, out=dev)
            np.subtract(zt, dev, out=dev)
            np.square(dev, out=dev)
            dev2 = np.bincount(hi, weights=dev, minlength=n_hcells)
            # sums of squares matter only to the lonely-PSU rules
            sq = np.bincount(hi, weights=zt**2, minlength=n_hcells) if lonely_rules else np.zeros(n_hcells)
            keep = m > 0
            contrib, na = _stratum_contrib(
                h_dom[keep], h_of[keep], total[keep], dev2[keep], sq[keep], m[keep], stage, design, s + 1
            )
            var[o::width] += _scaled_sum(h_dom[keep], parent[keep], contrib, na, blocks.n_dom)
            if s == 0:
                n_psu = np.bincount(h_dom[keep], weights=m[keep], minlength=blocks.n_dom)
                blocks.domain_df[o::width] = n_psu - np.bincount(h_dom[keep], minlength=blocks.n_dom)
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
