"""Designs calibrated from command-line options: shared by ``corridor calibrate`` and ``corridor estimate``.

Apart from both commands so that neither imports the other for it (``calibrate`` takes
``estimate``'s design options; ``estimate`` takes the calibrated design from here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from corridor.errors import InputError


def _engine(opts: dict[str, Any]) -> Any:
    from corridor.engine import get_engine

    if opts.get("engine") == "spark":
        return get_engine("spark", master=opts["spark_master"]) if opts.get("spark_master") else get_engine("spark")
    if opts.get("memory_limit"):
        return get_engine("duckdb", memory_limit=opts["memory_limit"])
    return None


def calibrated(data: Any, design: Any, totals: Any, opts: dict[str, Any], engine: Any) -> Any:
    """The design calibrated as the command-line options say."""
    from corridor.calibration import calibrate, official, poststratify, rake

    method = opts.get("method") or "linear"
    if isinstance(totals, str) and totals.split(":")[0] == "ine":
        totals = official.totals(totals, data=data, engine=engine)
    onfail = opts.get("on_nonconvergence") or "error"
    if method == "rake":
        kw = {k: opts[k] for k in ("maxit", "epsilon") if opts.get(k) is not None}
        return rake(data, design, totals, on_nonconvergence=onfail, engine=engine, **kw)
    if method == "poststratify":
        return poststratify(data, design, totals, engine=engine)
    kw = {k: opts[k] for k in ("maxit", "epsilon") if opts.get(k) is not None}
    return calibrate(
        data, design, totals, method=method, bounds=opts.get("bounds"), bounds_const=bool(opts.get("bounds_const")),
        trim=opts.get("trim"), variance=opts.get("variance"), aggregate_stage=opts.get("aggregate_stage"),
        on_nonconvergence=onfail, engine=engine, **kw,
    )


def design_for_estimate(source: Any, opts: dict[str, Any], design_of: Any) -> Any:
    """``corridor estimate``'s design: calibrated with ``--calibrate``, or the calibration a file carries.

    A file written by ``corridor calibrate`` records its calibration; estimating from it without
    design options applies that calibration again (so standard errors account for it), and using
    its calibrated weight column as plain weights is refused (they would not).
    """
    from corridor.calibration import messages, output

    given = any(opts.get(k) for k in ("design", "weights", "ids", "strata", "fpc", "repweights"))
    meta = output.read_metadata(source) if isinstance(source, str | Path) else None
    if opts.get("calibrate"):
        method_opts = {"method": opts.get("calibrate_method")}
        return calibrated(source, design_of(opts), opts["calibrate"], method_opts, _engine(opts))
    if meta is None:
        return design_of(opts)
    if not given:
        click.echo(messages.t("cli.stored", path=source, method=meta["method"]), err=True)
        return output.from_metadata(meta, source, engine=_engine(opts))
    design = design_of(opts)
    if output.uses_calibrated_weight(design, meta):
        raise InputError(messages.t("cli.calibrated_weight", path=source, column=meta["weight"]),
                         hint=messages.t("cli.calibrated_weight.hint"))
    return design
