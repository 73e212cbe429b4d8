"""A grouping pooled from another grouping's cells gives the numbers it gives when estimated alone.

Several groupings of one scan may share work: a grouping whose domains are a function of another's
(secondary schools: middle and high) adds up that grouping's (domain, PSU) cell totals instead of
every scan group. The sums are the same, added in another order, so every number agrees to rounding
with the grouping estimated by itself (whose numbers the R reference tests check).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pytest
from reference.survey_cases import DATA

import corridor as cr
from corridor.estimation.domains import GroupSums

DCLUS1 = cr.Design(ids="dnum", weights="pw", fpc="fpc")
ESTIMANDS = [cr.Mean("api00"), cr.Total("enroll"), cr.Proportion("sch.wide", level="Yes"), cr.Ratio("api00", "api99")]
NUMBERS = ["estimate", "se", "ci_low", "ci_high", "df", "cv", "deff", "sum_w"]


def _data() -> pa.Table:
    tbl = pcsv.read_csv(DATA / "apiclus1.csv")
    # a coarser split of stype: elementary schools and the rest
    return tbl.append_column("phase", pc.if_else(pc.equal(tbl["stype"], "E"), "elementary", "secondary"))


def _alone(tbl: pa.Table, grouping: list[str], engine: str) -> list[dict]:
    return cr.estimate(tbl, DCLUS1, ESTIMANDS, by=[grouping], deff=True, engine=engine).to_pylist()


@pytest.mark.parametrize(("groupings", "pooled"), [
    # phase is a function of stype: its cells are pooled from stype's
    ([["stype"], ["phase"], ["awards"]], [False, True, False]),
    # stype by awards comes after yr.rnd (groupings that differ in their first variable alone are
    # finished one after the other)
    ([["stype", "awards"], ["phase", "awards"], ["yr.rnd"]], [False, False, True]),
    # phase is not a function of awards: pooled from the scan's groups
    ([["awards"], ["phase"], ["yr.rnd"]], [False, False, False]),
])
def test_grouping_pooled_from_another_agrees_with_it_alone(groupings: list[list[str]], pooled: list[bool], engine: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    tbl = _data()
    taken: list[bool] = []
    within = GroupSums._within

    def spy(self: GroupSums, *args: object) -> GroupSums | None:
        out = within(self, *args)  # type: ignore[arg-type]
        taken.append(out is not None)
        return out

    monkeypatch.setattr(GroupSums, "_within", spy)
    together = cr.estimate(tbl, DCLUS1, ESTIMANDS, by=groupings, deff=True, engine=engine).to_pylist()
    assert taken == pooled
    # the table keeps the request's order of groupings
    seen = [r["grouping"] for r in together]
    assert [g for i, g in enumerate(seen) if i == 0 or seen[i - 1] != g] == [",".join(g) for g in groupings]
    for grouping in groupings:
        mine = [r for r in together if r["grouping"] == ",".join(grouping)]
        ref = _alone(tbl, grouping, engine)
        assert len(mine) == len(ref) > 0
        for a, b in zip(mine, ref, strict=True):
            assert [a[k] for k in ("estimand", "variable", "level", "n", "n_cases", "flag", *grouping)] == \
                   [b[k] for k in ("estimand", "variable", "level", "n", "n_cases", "flag", *grouping)]
            got = np.array([np.nan if a[k] is None else a[k] for k in NUMBERS], dtype=float)
            want = np.array([np.nan if b[k] is None else b[k] for k in NUMBERS], dtype=float)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=0, equal_nan=True)
