"""corridor's own estimates, assessed, give calidad's labels (engine -> assess, end to end).

Same cells and expected labels as test_calidad_reference.py (calidad 0.8.x rules on its example
data), here estimated by ``corridor.estimate`` with ``df="domain"`` (calidad's degrees of
freedom: PSUs minus strata with rows in the cell) and ``deff=True``. The engine's ``n`` is the
domain's row count, as calidad's; the ECLAC "unweighted" count (cases with the characteristic)
is counted here from the microdata.
"""

from __future__ import annotations

import pandas as pd
import pytest

from corridor import Design, Mean, Proportion, estimate
from corridor.quality import assess, calidad_label

from .survey_inputs import read
from .test_calidad_reference import EXPECTED

COLUMNS = ["set", "domain", "n", "df", "chile", "eclac_2023", "eclac_2020"]


def _expected(set_name: str) -> pd.DataFrame:
    table = pd.DataFrame(EXPECTED, columns=COLUMNS)
    return table[table.set == set_name].set_index("domain")


@pytest.fixture(scope="module")
def enusc_regions() -> pd.DataFrame:
    data = read("enusc_2023.csv.gz")
    design = Design(weights="Fact_Hog_Reg", strata="VarStrat", ids="Conglomerado")
    out = estimate(
        data, design, Proportion("VH_DV"), by="enc_region", df="domain", deff=True
    ).table.to_pandas()
    out = out[out.level.astype(str) == "1"].copy()
    cases = data[data.VH_DV == 1].groupby("enc_region").size()
    out["unweighted"] = out.enc_region.map(cases).to_numpy()
    out["domain"] = "region=" + out.enc_region.astype(str)
    return out


@pytest.fixture(scope="module")
def epf_cells() -> pd.DataFrame:
    data = read("epf_personas.csv.gz").drop_duplicates("folio", keep="first")
    design = Design(weights="fe", strata="varstrat", ids="varunit")
    by = ["zona", "sexo", "ecivil"]
    out = estimate(data, design, Mean("gastot_hd"), by=by, df="domain", deff=True).table.to_pandas()
    out = out[out.n > 0].copy()
    out["domain"] = out[by].astype(str).apply(lambda r: ",".join(f"{c}={r[c]}" for c in by), axis=1)
    return out


@pytest.mark.parametrize("scheme", ["chile", "eclac_2023", "eclac_2020"])
def test_enusc_regions_from_the_engine(enusc_regions, scheme):
    want = _expected("enusc_2023 VH_DV")
    got = assess(enusc_regions, scheme)
    assert len(got) == 16
    assert (got.n.to_numpy() == want.loc[got.domain, "n"].to_numpy()).all()
    assert (got.df.to_numpy() == want.loc[got.domain, "df"].to_numpy()).all()
    labels = [calidad_label(q, scheme) for q in got.quality]
    assert labels == want.loc[got.domain, scheme].tolist()


@pytest.mark.parametrize("scheme", ["chile", "eclac_2023", "eclac_2020"])
def test_epf_means_from_the_engine(epf_cells, scheme):
    want = _expected("epf gastot_hd")
    got = assess(epf_cells, scheme)
    assert sorted(got.domain) == sorted(want.index)
    assert (got.df.to_numpy() == want.loc[got.domain, "df"].to_numpy()).all()
    labels = [calidad_label(q, scheme) for q in got.quality]
    assert labels == want.loc[got.domain, scheme].tolist()
