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

from corridor._deps import single_thread_blas
from corridor.design import Design
from corridor.errors import LonelyPSUError
from corridor.estimation.structure import Stage, Structure, factorize
from corridor.i18n import Message

_CERTAINTY = 1e-7
# entries per step of the variance pass's deviations: its buffer stays a few MiB
_CHUNK = 1 << 19


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
    # per stage, (shift, coefficient) per (stratum, output) for the covariance that follows: a dict
    # (filled by the variance pass, which computes both on its way) when a covariance is asked
    terms: dict[int, tuple[np.ndarray, np.ndarray]] | None = field(default=None, repr=False)

    @classmethod
    def single(cls, pairs: Pairs, n_out: int) -> Blocks:
        """The blocks of a pair list (one output per domain)."""
        return cls(pairs.out, pairs.group, pairs.z[:, None], pairs.present[:, None], pairs.rows[:, None], n_out)

    @property
    def n_out(self) -> int:
        return int(self.n_dom * self.z.shape[1])

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
            seed = self.seed
            if seed is not None and seed[0] is stage.unit and seed[1] is not None and seed[2] is not None:
                ukeys, inv = seed[1], seed[2]
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
        Message("estimation.stratum_only_one_psu", names=names, more=more, stage_no=stage_no),
        hint=Message("estimation.stratum_only_one_psu.hint"),
    )


def stratum_coefficients(
    h_out: np.ndarray, h_of: np.ndarray, parent: np.ndarray, m: np.ndarray, stage: Stage, design: Design,
    stage_no: int, n_out: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The lonely-PSU rules, fpc and stage multipliers for (output, stratum) cells: the one stratum kernel.

    Cell ``c`` is output ``h_out[c]`` in stratum ``h_of[c]`` (within parent unit ``parent[c]`` of the
    previous stage), where ``m[c]`` units have rows counted for the output. The cell contributes
    ``coef[c] * sum_u x_u x_u'`` over the stratum's units, with ``x_u`` the unit's influence totals
    minus the stratum mean where ``centred[c]`` (each unit's deviation from zero otherwise: the
    'adjust' rule). A variance is the diagonal: ``coef * centred-or-uncentred sum of squares``; a
    covariance of outputs ``k`` and ``l`` in a stratum weighs the cross-products by
    ``sqrt(coef_k * coef_l)``, and the cross-product of a centred column with any other is the
    centred one. So covariances apply exactly the rules the variances do.

    Rules (as R's ``onestrat``): a stratum with one unit contributes nothing (``remove``,
    ``certainty``), its unit's squared total (``adjust``) or the mean contribution of the other
    strata of its parent (``average``: the cell is left out and the others are scaled by strata /
    strata left); ``adjust_domain_lonely`` applies ``adjust``/``average`` to a stratum with several
    units of which one has the output's rows. Strata sampled completely (fpc) contribute nothing
    and count as present. ``coef`` is NaN where every stratum of a parent is left out (R: NaN).
    """
    n = stage.n[h_of]
    f = stage.f[h_of]
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(n > 1, f * n / (n - 1), f)
    centred = np.ones(len(h_of), dtype=bool)
    na = np.zeros(len(h_of), dtype=bool)
    lonely = n == 1
    rule = design.lonely_psu
    if lonely.any():
        if rule == "fail":
            active = lonely & (f >= _CERTAINTY)
            if active.any():
                raise _lonely_error(stage_no, stage, np.unique(h_of[active]))
        elif rule in ("remove", "certainty"):
            scale[lonely] = 0.0
        elif rule == "adjust":
            centred[lonely] = False
        elif rule == "average":
            na |= lonely
    if design.adjust_domain_lonely:
        dlonely = (m == 1) & (n > 1)
        if rule == "adjust":
            centred[dlonely] = False
        elif rule == "average":
            na |= dlonely
    certain = f < _CERTAINTY
    scale[certain] = 0.0
    na &= ~certain
    coef = scale * stage.mult[h_of]
    if na.any():
        coef[na] = 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            coef *= _average_factor(h_out, parent, na)
    return coef, centred


def _average_factor(h_out: np.ndarray, parent: np.ndarray, na: np.ndarray) -> np.ndarray:
    """Per cell: strata / strata not left out, within the cell's (output, parent) (inf: none left)."""
    n_parent = int(parent.max()) + 1 if parent.size else 1
    keys, inv = factorize(h_out * n_parent + parent)
    nstrat = np.bincount(inv, minlength=len(keys)).astype(float)
    nok = np.bincount(inv, weights=(~na).astype(float), minlength=len(keys))
    with np.errstate(invalid="ignore", divide="ignore"):
        factor: np.ndarray = (nstrat / nok)[inv]
    return factor


def cell_moments(
    hi: np.ndarray, z: np.ndarray, n_cells: int, n_units: np.ndarray, units: np.ndarray, within: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Totals, centred and uncentred sums of squares of influence values per (output, stratum) cell.

    Entry ``e`` is a group of ``units[e]`` units (rows of an element design) whose influence values
    total ``z[e]`` with population variance ``within[e]``, in cell ``hi[e]`` of a stratum with
    ``n_units`` units; the stratum's units in no entry of the cell count as zeros. Centred sums are
    accumulated as deviations (a mean large against the spread would cancel in a difference of
    sums of squares).
    """
    total = np.bincount(hi, weights=z, minlength=n_cells)
    mean = total / n_units
    covered = np.bincount(hi, weights=units, minlength=n_cells)
    with np.errstate(invalid="ignore", divide="ignore"):
        gmean = np.where(units > 0, z / np.where(units > 0, units, 1.0), 0.0)
    dev2 = np.bincount(hi, weights=units * (within + (gmean - mean[hi]) ** 2), minlength=n_cells)
    dev2 = dev2 + (n_units - covered) * mean**2
    sq = np.bincount(hi, weights=units * (within + gmean**2), minlength=n_cells)
    return total, dev2, sq


def variance_stages(structure: Structure, design: Design) -> list[Stage]:
    """The stages whose variance counts: all up to the last with an fpc, or the first (ultimate cluster)."""
    last = len(design.fpc) if not design.ultimate_cluster else 1
    return [stage for s, stage in enumerate(structure.stages) if s == 0 or s < last]


def _parents(stage: Stage, s: int, h_of: np.ndarray) -> np.ndarray:
    """The unit of the previous stage that each stratum of stage ``s`` lies in (0 at the first stage)."""
    if s == 0:
        return np.zeros(len(h_of), dtype=np.int64)
    first_unit = np.zeros(len(stage.n), dtype=np.int64)
    first_unit[stage.unit_stratum] = np.arange(len(stage.unit_stratum))
    parents: np.ndarray = stage.unit_parent[first_unit[h_of]]
    return parents


def variance_clustered(blocks: Blocks, structure: Structure, design: Design) -> np.ndarray:
    """Variance of each output for a clustered design (groups lie within last-stage units)."""
    width = blocks.z.shape[1]
    var = np.zeros(blocks.n_out)
    for s, stage in enumerate(variance_stages(structure, design)):
        cells = blocks.units(s, stage)
        h_dom, h_of = cells.h_dom, cells.h_of
        n_hcells = len(h_dom)
        parent = _parents(stage, s, h_of)
        n_h = stage.n[h_of]
        # sums of squares matter only to the lonely-PSU rules
        lonely_rules = bool((stage.n == 1).any()) or design.adjust_domain_lonely
        if s == 0:
            blocks.domain_df = np.empty(blocks.n_out)
        m_all: np.ndarray | None = None  # units per cell when every unit is present (shared by outputs)
        # reused: fresh large arrays cost page faults; at least one slot, for a subpopulation without rows
        buf = np.empty(max(1, min(len(cells.hinv), _CHUNK)))
        terms = None
        if blocks.terms is not None:
            terms = (np.zeros((len(stage.n), blocks.n_out)), np.zeros((len(stage.n), blocks.n_out)))
            blocks.terms[s] = terms
        for o in range(width):
            _pres, zt, hi = cells.present_cells(blocks, o)
            if m_all is not None and len(hi) == len(cells.hinv):
                m = m_all
            else:
                m = np.bincount(hi, minlength=n_hcells).astype(float)
                if len(hi) == len(cells.hinv):
                    m_all = m
            total, dev2, sq = _unit_moments(hi, zt, n_hcells, n_h, m, buf, lonely_rules)
            keep = m > 0
            if keep.all():  # every (domain, stratum) cell has rows: no gathers
                kd, kh, kp, km, kdev, ksq = h_dom, h_of, parent, m, dev2, sq
            else:
                kd, kh, kp, km, kdev, ksq = h_dom[keep], h_of[keep], parent[keep], m[keep], dev2[keep], sq[keep]
            coef, centred = stratum_coefficients(kd, kh, kp, km, stage, design, s + 1, blocks.n_dom)
            if terms is not None:  # what _stage_terms would compute again
                col = kd * width + o
                terms[0][kh, col] = np.where(centred, (total if keep.all() else total[keep]) / stage.n[kh], 0.0)
                terms[1][kh, col] = coef
            contrib = coef * (np.where(centred, kdev, ksq) if lonely_rules else kdev)
            var[o::width] += np.bincount(kd, weights=contrib, minlength=blocks.n_dom)
            if s == 0:
                assert blocks.domain_df is not None  # made for the first stage above
                n_psu = np.bincount(kd, weights=km, minlength=blocks.n_dom)
                blocks.domain_df[o::width] = n_psu - np.bincount(kd, minlength=blocks.n_dom)
    return var


def _unit_moments(
    hi: np.ndarray, zt: np.ndarray, n_cells: int, n_units: np.ndarray, m: np.ndarray, buf: np.ndarray, squares: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Totals, centred and uncentred sums of squares of unit totals per (output, stratum) cell.

    The stratum's units without rows for the output count as zeros; centred sums are accumulated
    as deviations (a mean large against the spread would cancel in a difference of sums of
    squares), chunk by chunk in a reused buffer (the variance pass runs over millions of cells).
    """
    total = np.bincount(hi, weights=zt, minlength=n_cells)
    mean = total / n_units
    dev2 = (n_units - m) * mean**2
    for c0 in range(0, len(hi), len(buf)):
        h, b = hi[c0 : c0 + len(buf)], buf[: len(hi) - c0]
        np.take(mean, h, out=b)
        np.subtract(zt[c0 : c0 + len(buf)], b, out=b)
        np.square(b, out=b)
        dev2 += np.bincount(h, weights=b, minlength=n_cells)
    sq = np.bincount(hi, weights=zt**2, minlength=n_cells) if squares else np.zeros(n_cells)
    return total, dev2, sq


def covariance_clustered(blocks: Blocks, structure: Structure, design: Design) -> np.ndarray:
    """Covariance of all outputs for a clustered design (R's ``svyby(..., covmat=TRUE)``), every stage.

    Built from the coefficients of :func:`stratum_coefficients`, the same the variances use: its
    diagonal is the outputs' variance. Units are rows of a dense (units x outputs) matrix of
    influence totals, taken in chunks so that memory stays bounded.
    """
    K = blocks.n_out
    cov = np.zeros((K, K))
    for s, stage in enumerate(variance_stages(structure, design)):
        shift, root = _stage_terms(blocks, stage, s, design)
        unit = stage.unit[blocks.group]
        # many moderate products: BLAS threads cost more than they gain (30x on a loaded machine)
        with single_thread_blas():
            if not _covariance_by_patterns(cov, blocks, stage, unit, shift, root):
                _covariance_dense(cov, blocks, stage, unit, shift, root)
    return cov


def covariance_within(blocks: Blocks, structure: Structure, design: Design,
                      classes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The entries of :func:`covariance_clustered`'s matrix between outputs of one column whose
    domains are in one class (``classes``: lists of domains), and no others: ``(first, second, value)``
    with ``first <= second``.

    The same sums over units of the same centred, scaled influence totals. A unit adds nothing to
    an output in a stratum without the output's domain (its coefficient and shift are 0 there), so
    each class reads only the units of the strata its domains reach, as a dense (units x class
    outputs) matrix in chunks: comparisons across a variable's levels read a few entries of a
    matrix whose every entry would cost units x outputs^2.
    """
    width = blocks.z.shape[1]
    o = np.arange(width)
    pairs = [(int(d[i]), int(d[j]), i, j) for d in classes for i in range(len(d)) for j in range(i, len(d))]
    first = np.array([a * width for a, _b, _i, _j in pairs], dtype=np.int64)[:, None] + o
    second = np.array([b * width for _a, b, _i, _j in pairs], dtype=np.int64)[:, None] + o
    vals = np.zeros((len(pairs), width))
    class_of = np.full(blocks.n_dom, -1, dtype=np.int64)
    local = np.zeros(blocks.n_dom, dtype=np.int64)
    for c, doms in enumerate(classes):
        class_of[doms] = c
        local[doms] = np.arange(len(doms))
    e_class = class_of[blocks.domain]
    e_order = np.argsort(e_class, kind="stable")
    e_bounds = np.searchsorted(e_class[e_order], np.arange(len(classes) + 1))
    first_pair = np.cumsum([0] + [len(d) * (len(d) + 1) // 2 for d in classes])
    buf = np.empty(0)
    for s, stage in enumerate(variance_stages(structure, design)):
        shift, root = _stage_terms(blocks, stage, s, design)
        ust = stage.unit_stratum
        u_order = np.argsort(ust, kind="stable")  # units by stratum
        u_bounds = np.searchsorted(ust[u_order], np.arange(len(stage.n) + 1))
        unit_of = stage.unit[blocks.group]
        position = np.full(len(ust), -1, dtype=np.int64)
        for c, doms in enumerate(classes):
            e = e_order[e_bounds[c] : e_bounds[c + 1]]
            if not len(e):
                continue
            strata = np.unique(ust[unit_of[e]])
            units = np.concatenate([u_order[u_bounds[h] : u_bounds[h + 1]] for h in strata.tolist()])
            L = len(doms)
            cols = (np.asarray(doms)[:, None] * width + o).ravel()
            class_shift, class_root = shift[:, cols], root[:, cols]  # per stratum: rows gathered whole
            step = max(1, (1 << 22) // (L * width))
            e_unit = unit_of[e]
            position[units] = np.arange(len(units))
            e_pos = position[e_unit]
            e_sort = np.argsort(e_pos, kind="stable")
            e_sorted = e_pos[e_sort]
            pc = [(i, j) for i in range(L) for j in range(i, L)]
            # the strata's shifts and roots of a chunk's units, gathered into one buffer kept for every
            # chunk and class (fresh arrays of megabytes per class cost their page faults)
            size = min(len(units), step) * L * width
            if len(buf) < size:
                buf = np.empty(size)
            for u0 in range(0, len(units), step):
                u1 = min(len(units), u0 + step)
                lo, hi_ = np.searchsorted(e_sorted, [u0, u1])
                ee = e[e_sort[lo:hi_]]
                flat = ((e_pos[e_sort[lo:hi_]] - u0) * (L * width) + local[blocks.domain[ee]] * width)[:, None] + o
                z: np.ndarray = np.bincount(flat.ravel(), weights=blocks.z[ee].ravel(), minlength=(u1 - u0) * L * width)
                z = z.astype(float, copy=False).reshape(u1 - u0, L * width)
                h = ust[units[u0:u1]]
                per_unit = buf[: z.size].reshape(z.shape)
                z -= np.take(class_shift, h, axis=0, out=per_unit, mode="clip")  # "raise" would buffer
                z *= np.take(class_root, h, axis=0, out=per_unit, mode="clip")
                for q, (i, j) in enumerate(pc):
                    vals[first_pair[c] + q] += np.einsum("ij,ij->j", z[:, i * width : (i + 1) * width],
                                                         z[:, j * width : (j + 1) * width])
            position[units] = -1
    return first.ravel(), second.ravel(), vals.ravel()


def _stage_terms(blocks: Blocks, stage: Stage, s: int, design: Design) -> tuple[np.ndarray, np.ndarray]:
    """Per (stratum, output) of stage ``s``: the shift (stratum mean of centred columns, 0 for uncentred
    ones) and the square root of the coefficient of :func:`stratum_coefficients`."""
    if blocks.terms is not None and s in blocks.terms:  # the variance pass made them
        shift_s, coef_s = blocks.terms[s]
        return shift_s, np.sqrt(coef_s)
    width = blocks.z.shape[1]
    K = blocks.n_out
    cells = blocks.units(s, stage)
    h_dom, h_of = cells.h_dom, cells.h_of
    n_hcells = len(h_dom)
    parent = _parents(stage, s, h_of)
    n_strata = len(stage.n)
    coef = np.zeros((n_strata, K))
    shift = np.zeros((n_strata, K))
    for o in range(width):
        _pres, zt, hi = cells.present_cells(blocks, o)
        total = np.bincount(hi, weights=zt, minlength=n_hcells)
        m = np.bincount(hi, minlength=n_hcells).astype(float)
        keep = m > 0
        c, centred = stratum_coefficients(h_dom[keep], h_of[keep], parent[keep], m[keep], stage, design, s + 1,
                                          blocks.n_dom)
        col = h_dom[keep] * width + o
        coef[h_of[keep], col] = c
        shift[h_of[keep], col] = np.where(centred, total[keep] / stage.n[h_of[keep]], 0.0)
    return shift, np.sqrt(coef)


def _covariance_dense(cov: np.ndarray, blocks: Blocks, stage: Stage, unit: np.ndarray, shift: np.ndarray,
                      root: np.ndarray) -> None:
    """Add every unit's (outputs x outputs) product to ``cov``, units as rows of dense chunks."""
    width = blocks.z.shape[1]
    K = cov.shape[0]
    order = np.argsort(unit, kind="stable")
    unit_sorted = unit[order]
    n_units = len(stage.unit_stratum)
    step = max(1, (1 << 22) // max(K, 1))
    for u0 in range(0, n_units, step):
        u1 = min(n_units, u0 + step)
        lo, hi_ = np.searchsorted(unit_sorted, [u0, u1])
        e = order[lo:hi_]
        flat = (unit[e] - u0)[:, None] * K + (blocks.domain[e] * width)[:, None] + np.arange(width)
        z = np.bincount(flat.ravel(), weights=blocks.z[e].ravel(), minlength=(u1 - u0) * K).reshape(u1 - u0, K)
        z = z.astype(float, copy=False)  # bincount of no rows at all (an empty subpopulation) is integer
        h = stage.unit_stratum[u0:u1]
        z -= shift[h]
        z *= root[h]
        cov += z.T @ z


# at most this many distinct sets of domains per stratum for the product by sets
_MAX_PATTERNS = 4096


def _covariance_by_patterns(cov: np.ndarray, blocks: Blocks, stage: Stage, unit: np.ndarray, shift: np.ndarray,
                            root: np.ndarray) -> bool:
    """The units' products restricted to the domains present in their stratum; False when not worth it.

    A unit's influence totals, and its stratum's shift and coefficients, are zero outside the
    domains with entries in its stratum (a region's strata see only that region's domains), so
    strata with the same set of domains contribute a dense block on those outputs only: the
    product costs units x (domains of the stratum x outputs)^2 instead of units x all outputs^2.
    """
    width = blocks.z.shape[1]
    K = cov.shape[0]
    n_strata, n_dom = len(stage.n), blocks.n_dom
    if n_dom < 2 or n_strata * n_dom > (1 << 26):
        return False
    ust = stage.unit_stratum
    present = np.zeros((n_strata, n_dom), dtype=bool)
    present[ust[unit], blocks.domain] = True
    patterns, pattern_of = np.unique(present, axis=0, return_inverse=True)
    pattern_of = np.asarray(pattern_of).ravel()
    if len(patterns) > _MAX_PATTERNS:
        return False
    width_of = patterns.sum(axis=1) * width
    units_of = np.bincount(pattern_of[ust], minlength=len(patterns))
    if float((units_of * width_of.astype(float) ** 2).sum()) * 2 > float(len(ust)) * float(K) ** 2:
        return False
    pu = pattern_of[ust]
    u_order = np.argsort(pu, kind="stable")  # units by pattern
    u_bounds = np.searchsorted(pu[u_order], np.arange(len(patterns) + 1))
    position = np.empty(len(ust), dtype=np.int64)
    position[u_order] = np.arange(len(ust))
    e_pos = position[unit]
    e_order = np.argsort(e_pos, kind="stable")  # entries in the order of their units
    e_sorted = e_pos[e_order]
    local_dom = np.full(n_dom, -1, dtype=np.int64)
    for p in range(len(patterns)):
        doms = np.flatnonzero(patterns[p])
        c = len(doms) * width
        if c == 0:
            continue
        cols = (doms[:, None] * width + np.arange(width)).ravel()
        local_dom[doms] = np.arange(len(doms))
        step = max(1, (1 << 22) // c)
        for u0 in range(int(u_bounds[p]), int(u_bounds[p + 1]), step):
            u1 = min(int(u_bounds[p + 1]), u0 + step)
            lo, hi_ = np.searchsorted(e_sorted, [u0, u1])
            e = e_order[lo:hi_]
            flat = (e_pos[e] - u0)[:, None] * c + (local_dom[blocks.domain[e]] * width)[:, None] + np.arange(width)
            z = np.bincount(flat.ravel(), weights=blocks.z[e].ravel(), minlength=(u1 - u0) * c).reshape(u1 - u0, c)
            h = ust[u_order[u0:u1]]
            z -= shift[h][:, cols]
            z *= root[h][:, cols]
            cov[np.ix_(cols, cols)] += z.T @ z
        local_dom[doms] = -1
    return True


def variance_elements(
    blocks: Blocks, units: np.ndarray, within: np.ndarray, structure: Structure, design: Design
) -> np.ndarray:
    """Variance when every row is its own PSU: entries are groups of ``units[e]`` rows in one stratum.

    ``within[e, o]`` is the population variance of output ``o``'s influence values over entry
    ``e``'s rows (zero for rows without the output's values), so that the centred sum of squares of
    a stratum is the within-group part plus the between-group part, the stratum's rows outside
    the domain counted as zeros.
    """
    stage = structure.stages[0]
    width = blocks.z.shape[1]
    var = np.zeros(blocks.n_out)
    keys, hi, h_dom, h_of = _element_cells(blocks, stage)
    n_h = stage.n[h_of]
    for o in range(width):
        m = np.bincount(hi, weights=blocks.rows[:, o], minlength=len(keys))
        _total, dev2, sq = cell_moments(hi, blocks.z[:, o], len(keys), n_h, units, within[:, o])
        keep = m > 0
        coef, centred = stratum_coefficients(h_dom[keep], h_of[keep], np.zeros(int(keep.sum()), dtype=np.int64),
                                             m[keep], stage, design, 1, blocks.n_dom)
        contrib = coef * np.where(centred, dev2[keep], sq[keep])
        var[o::width] += np.bincount(h_dom[keep], weights=contrib, minlength=blocks.n_dom)
    return var


def _element_cells(blocks: Blocks, stage: Stage) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n_strata = len(stage.n)
    keys, hi = factorize(blocks.domain * n_strata + stage.stratum[blocks.group], blocks.n_dom * n_strata)
    return keys, hi, keys // n_strata, keys % n_strata


def covariance_elements(
    blocks: Blocks, units: np.ndarray, within: np.ndarray, structure: Structure, design: Design
) -> np.ndarray:
    """Covariance of all outputs when rows are PSUs, from the coefficients the variances use.

    ``within[e]`` is the (outputs x outputs) population covariance of entry ``e``'s influence
    values over its rows. Each entry is a block of ``units[e]`` rows: its between-group part is a
    row of a dense (entries x outputs) matrix weighted by its size, its within-group part adds to
    the outputs of its domain; the stratum's rows in no entry are zeros.
    """
    stage = structure.stages[0]
    width = blocks.z.shape[1]
    K = blocks.n_out
    n_strata = len(stage.n)
    keys, hi, h_dom, h_of = _element_cells(blocks, stage)
    coef = np.zeros((n_strata, K))
    shift = np.zeros((n_strata, K))
    for o in range(width):
        m = np.bincount(hi, weights=blocks.rows[:, o], minlength=len(keys))
        total = np.bincount(hi, weights=blocks.z[:, o], minlength=len(keys))
        keep = m > 0
        c, centred = stratum_coefficients(h_dom[keep], h_of[keep], np.zeros(int(keep.sum()), dtype=np.int64), m[keep],
                                          stage, design, 1, blocks.n_dom)
        col = h_dom[keep] * width + o
        coef[h_of[keep], col] = c
        shift[h_of[keep], col] = np.where(centred, total[keep] / stage.n[h_of[keep]], 0.0)
    root = np.sqrt(coef)
    h_e = stage.stratum[blocks.group]
    cov = np.zeros((K, K))
    # rows of a stratum in no entry (outside the subpopulation): zeros, as one block per stratum
    rest = stage.n - np.bincount(h_e, weights=units, minlength=n_strata)
    x = -shift * root * np.sqrt(np.maximum(rest, 0.0))[:, None]
    cov += x.T @ x
    n_e = len(blocks.group)
    step = max(1, (1 << 22) // max(K, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        gmean = np.where(units[:, None] > 0, blocks.z / np.where(units > 0, units, 1.0)[:, None], 0.0)
    for e0 in range(0, n_e, step):
        e = np.arange(e0, min(n_e, e0 + step))
        x = -shift[h_e[e]]
        x[np.arange(len(e))[:, None], (blocks.domain[e] * width)[:, None] + np.arange(width)] += gmean[e]
        x *= root[h_e[e]] * np.sqrt(units[e])[:, None]
        cov += x.T @ x
    # within-group parts, on the outputs of each entry's domain
    rk = root[h_e[:, None], (blocks.domain * width)[:, None] + np.arange(width)]  # entries x width
    for o1 in range(width):
        for o2 in range(width):
            k1 = blocks.domain * width + o1
            k2 = blocks.domain * width + o2
            vals = units * rk[:, o1] * rk[:, o2] * within[:, o1, o2]
            cov += np.bincount(k1 * K + k2, weights=vals, minlength=K * K).reshape(K, K)
    return cov
