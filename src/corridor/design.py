"""Sample designs: what the data are, never how to compute with them.

A :class:`Design` describes a stratified multi-stage sample for Taylor
linearisation (as R's ``svydesign``); a :class:`ReplicateDesign` describes
replicate weights supplied with the data (as ``svrepdesign``); a
:class:`Replicated` design converts a Taylor design into jackknife or
bootstrap replicates (as ``as.svrepdesign``). Every option that changes a
variance (the lonely-PSU rule, finite-population corrections, ``nest``) is a
field of the design, never a global setting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

from corridor.errors import DesignError
from corridor.i18n import Message

LonelyPSU = Literal["fail", "remove", "certainty", "adjust", "average"]
RepType = Literal["BRR", "Fay", "JK1", "JKn", "bootstrap", "successive-difference", "ACS", "JK2", "other"]
ConvertType = Literal["JK1", "JKn", "bootstrap"]

LONELY_PSU_RULES: tuple[str, ...] = ("fail", "remove", "certainty", "adjust", "average")
REP_TYPES: tuple[str, ...] = ("BRR", "Fay", "JK1", "JKn", "bootstrap", "successive-difference", "ACS", "JK2", "other")


def _names(value: str | Sequence[str] | None, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return () if value in ("", "1") else (value,)
    out = tuple(value)
    if not all(isinstance(v, str) and v for v in out):
        raise DesignError(Message("estimation.must_column_names_got", what=what, value=value))
    return out


@dataclass(frozen=True)
class Design:
    """A stratified multi-stage design for Taylor-linearisation variances.

    Args:
        weights: column of sampling weights. Without it, weights come from
            ``fpc`` (population sizes) or are 1.
        strata: stratum column(s), one per stage (usually only the first).
        ids: cluster id column for each stage, first stage (PSU) first. Empty
            means every row is its own PSU.
        fpc: finite-population correction column for each stage, first stage
            first: population counts (all values > 1) or sampling fractions
            (all values <= 1), as ``svydesign`` takes them. Stages after the
            last one given are taken as completely sampled.
        nest: PSU ids repeat across strata (make them unique within strata).
        lonely_psu: what a stratum with a single PSU contributes: ``fail``
            (an error, R's default), ``remove`` and ``certainty`` (nothing),
            ``adjust`` (its PSU total, centred at zero), ``average`` (the mean
            contribution of the other strata). As R's ``survey.lonely.psu``.
        adjust_domain_lonely: apply the lonely rule also to strata that have a
            single PSU within a domain (R's ``survey.adjust.domain.lonely``).
        ultimate_cluster: use first-stage PSUs only, even with later-stage
            fpc (R's ``survey.ultimate.cluster``).

    Example:
        >>> Design(weights="expr", strata="estrato", ids="cod_upm")
        Design(weights='expr', strata=('estrato',), ids=('cod_upm',), fpc=(), nest=False, lonely_psu='fail', adjust_domain_lonely=False, ultimate_cluster=False)
    """

    weights: str | None = None
    strata: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    fpc: tuple[str, ...] = ()
    nest: bool = False
    lonely_psu: LonelyPSU = "fail"
    adjust_domain_lonely: bool = False
    ultimate_cluster: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "strata", _names(self.strata, "strata"))  # type: ignore[arg-type]
        object.__setattr__(self, "ids", _names(self.ids, "ids"))  # type: ignore[arg-type]
        object.__setattr__(self, "fpc", _names(self.fpc, "fpc"))  # type: ignore[arg-type]
        if self.weights in ("", "1"):
            object.__setattr__(self, "weights", None)
        if self.lonely_psu not in LONELY_PSU_RULES:
            raise DesignError(
                Message("estimation.lonely_psu_not_rule", lonely_psu=self.lonely_psu),
                hint=Message("estimation.lonely_psu_not_rule.hint", lonely_psu_rules=', '.join(LONELY_PSU_RULES)),
            )
        stages = max(1, len(self.ids))
        if len(self.strata) > stages:
            raise DesignError(
                Message("estimation.strata_columns_given_stage", n_strata=len(self.strata), stages=stages),
                hint=Message("estimation.strata_columns_given_stage.hint"),
            )
        if len(self.fpc) > stages:
            raise DesignError(
                Message("estimation.fpc_columns_given_stage", n_fpc=len(self.fpc), stages=stages),
                hint=Message("estimation.fpc_columns_given_stage.hint"),
            )

    @property
    def stages(self) -> int:
        """Number of sampling stages described by ``ids`` (at least one)."""
        return max(1, len(self.ids))

    @property
    def columns(self) -> tuple[str, ...]:
        """Every data column the design uses."""
        cols = ([self.weights] if self.weights else []) + [*self.strata, *self.ids, *self.fpc]
        return tuple(dict.fromkeys(cols))

    def replicates(
        self, type: ConvertType = "JK1", *, replicates: int = 50, seed: int | None = None, mse: bool = False
    ) -> Replicated:
        """This design with replicate weights made from its PSUs (as ``as.svrepdesign``).

        ``JK1`` (delete-one-PSU jackknife, unstratified designs), ``JKn``
        (stratified jackknife) and ``bootstrap`` (Rao-Wu rescaled bootstrap,
        ``replicates`` resamples, ``seed`` for reproducibility).
        """
        return Replicated(self, type=type, replicates=replicates, seed=seed, mse=mse)


@dataclass(frozen=True)
class ReplicateDesign:
    """Replicate weights supplied with the data (as R's ``svrepdesign``).

    The variance of an estimate is ``scale * sum_r rscales[r] * (theta_r - c)^2``
    with ``c`` the mean of the replicate estimates, or the full-sample estimate
    when ``mse`` is true.

    Args:
        repweights: the replicate weight columns, or a regular expression
            (``"^jk1_"``) matching them.
        weights: full-sample weight column (1 when omitted).
        type: the replication method; fixes the default ``scale``:
            BRR ``1/R``, Fay ``1/(R (1-rho)^2)``, JK1 ``(R-1)/R``,
            bootstrap ``1/(R-1)``, successive-difference and ACS ``4/R``,
            JK2 ``1``; JKn and other need ``rscales`` or ``scale``.
        scale, rscales: override the method's constants.
        rho: Fay's coefficient (type ``Fay``).
        combined_weights: the replicate columns already include the sampling
            weight (true) or are multipliers of it (false).
        mse: centre at the full-sample estimate instead of the replicate mean.
        df: degrees of freedom; by default the rank of the replicate weights
            minus one, as R computes it.
    """

    repweights: tuple[str, ...] | str
    weights: str | None = None
    type: RepType = "other"
    scale: float | None = None
    rscales: tuple[float, ...] | None = None
    rho: float | None = None
    combined_weights: bool = True
    mse: bool = False
    df: float | None = None

    def __post_init__(self) -> None:
        if self.type not in REP_TYPES:
            raise DesignError(Message("estimation.unknown_replicate_type", type=self.type),
                              hint=Message("estimation.unknown_replicate_type.hint", rep_types=", ".join(REP_TYPES)))
        if not isinstance(self.repweights, str):
            object.__setattr__(self, "repweights", _names(self.repweights, "repweights"))
            if not self.repweights:
                raise DesignError(Message("estimation.replicate_design_needs_replicate"))
        if self.rscales is not None:
            object.__setattr__(self, "rscales", tuple(float(r) for r in self.rscales))
        if self.type == "Fay" and (self.rho is None or not 0 <= self.rho < 1):
            raise DesignError(Message("estimation.fay_design_needs_rho"), hint=Message("estimation.fay_design_needs_rho.hint"))
        if self.type in ("JKn", "other") and self.rscales is None and self.scale is None:
            raise DesignError(
                Message("estimation.replicate_type_default_scale", type=self.type),
                hint=Message("estimation.replicate_type_default_scale.hint"),
            )

    def default_scale(self, n_replicates: int) -> float:
        """The scale R uses for this replicate type with ``n_replicates`` columns."""
        r = n_replicates
        if self.scale is not None:
            return float(self.scale)
        match self.type:
            case "BRR":
                return 1.0 / r
            case "Fay":
                return 1.0 / (r * (1.0 - float(self.rho)) ** 2)  # type: ignore[arg-type]
            case "JK1":
                return (r - 1.0) / r
            case "bootstrap":
                return 1.0 / (r - 1.0)
            case "successive-difference" | "ACS":
                return 4.0 / r
            case _:
                return 1.0


@dataclass(frozen=True)
class Replicated:
    """A Taylor design converted to replicate weights at estimation time.

    The replicate factors are built from the design's PSUs, so the data need
    no replicate columns: replicate sums are the PSU sums of one grouped scan
    multiplied by the factor matrix.
    """

    design: Design
    type: ConvertType = "JK1"
    replicates: int = 50
    seed: int | None = None
    mse: bool = False

    def __post_init__(self) -> None:
        if self.type not in ("JK1", "JKn", "bootstrap"):
            raise DesignError(
                Message("estimation.cannot_convert_design_replicates", type=self.type), hint=Message("estimation.cannot_convert_design_replicates.hint")
            )
        if self.type == "bootstrap" and self.replicates < 2:
            raise DesignError(Message("estimation.bootstrap_needs_least_replicates"))

    @property
    def columns(self) -> tuple[str, ...]:
        return self.design.columns


AnyDesign = Design | ReplicateDesign | Replicated


def design_from_dict(spec: Mapping[str, Any]) -> AnyDesign:
    """Build a design from a plain mapping (a YAML/JSON design file or a spec's ``design``).

    Keys follow the Python names: ``type`` (``taylor`` default, ``replicate``),
    ``weights``, ``strata``, ``ids``, ``fpc``, ``nest``, ``lonely_psu``, ...;
    for replicate designs ``repweights`` (list or regex), ``rep_type``,
    ``scale``, ``rscales``, ``rho``, ``combined_weights``, ``mse``; and
    ``convert: {type, replicates, seed}`` to convert a Taylor design.
    """
    spec = dict(spec)
    kind = spec.pop("type", "taylor")

    def one(v: Any) -> Any:
        return v[0] if isinstance(v, list | tuple) and len(v) == 1 else v

    if kind == "replicate":
        allowed = {f.name for f in fields(ReplicateDesign)} | {"rep_type", "repweights_regex"}
        unknown = set(spec) - allowed
        if unknown:
            raise DesignError(Message("estimation.unknown_keys_replicate_design", unknown=', '.join(sorted(unknown))))
        rep = spec.pop("repweights_regex", None) or spec.pop("repweights", None)
        if rep is None:
            raise DesignError(Message("estimation.replicate_design_needs_repweights"))
        if "rep_type" in spec:
            spec["type"] = spec.pop("rep_type")
        return ReplicateDesign(repweights=rep, weights=one(spec.pop("weights", None)), **spec)
    if kind != "taylor":
        raise DesignError(Message("estimation.unknown_design_type", kind=kind), hint=Message("estimation.unknown_design_type.hint"))
    convert = spec.pop("convert", None)
    allowed = {f.name for f in fields(Design)}
    unknown = set(spec) - allowed
    if unknown:
        raise DesignError(
            Message("estimation.unknown_keys_design", unknown=', '.join(sorted(unknown))), hint=Message("estimation.unknown_keys_design.hint", allowed=', '.join(sorted(allowed)))
        )
    if "weights" in spec:
        spec["weights"] = one(spec["weights"])
    design = Design(**spec)
    if convert:
        convert = dict(convert)
        convert.pop("fay_rho", None)
        return design.replicates(
            convert.get("type", "JK1"),
            replicates=int(convert.get("replicates", 50)),
            seed=convert.get("seed"),
            mse=bool(convert.get("mse", False)),
        )
    return design


def design_to_dict(design: AnyDesign) -> dict[str, Any]:
    """The plain mapping :func:`design_from_dict` reads back (for files that record their design)."""
    if isinstance(design, ReplicateDesign):
        out: dict[str, Any] = {"type": "replicate", "rep_type": design.type, "weights": design.weights,
                               "combined_weights": design.combined_weights, "mse": design.mse}
        if isinstance(design.repweights, str):
            out["repweights_regex"] = design.repweights
        else:
            out["repweights"] = list(design.repweights)
        for key in ("scale", "rho", "df"):
            if getattr(design, key) is not None:
                out[key] = getattr(design, key)
        if design.rscales is not None:
            out["rscales"] = list(design.rscales)
        return out
    base = design.design if isinstance(design, Replicated) else design
    out = {"type": "taylor", "weights": base.weights, "strata": list(base.strata), "ids": list(base.ids),
           "fpc": list(base.fpc), "nest": base.nest, "lonely_psu": base.lonely_psu,
           "adjust_domain_lonely": base.adjust_domain_lonely, "ultimate_cluster": base.ultimate_cluster}
    if isinstance(design, Replicated):
        out["convert"] = {"type": design.type, "replicates": design.replicates, "seed": design.seed, "mse": design.mse}
    return out


__all__ = ["AnyDesign", "Design", "ReplicateDesign", "Replicated", "design_from_dict", "design_to_dict"]
