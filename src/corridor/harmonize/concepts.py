"""corridor's canonical concepts: the column names and values every spec maps onto.

Each indicator is defined once on these names, whatever a source calls them.
Categorical concepts list their allowed values; a spec that maps a code to
anything else is rejected when it is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Concept:
    """One canonical column: its SQL type, allowed values (if categorical) and the standard it follows."""

    name: str
    dtype: str
    description: str
    values: tuple[str, ...] | None = None
    standard: str = ""
    group: str = "person"


_C = Concept
ARRIVAL_PERIODS = ("2016+", "2011-2015", "2001-2010", "1991-2000", "-1990")
# published area-level shares (e.g. CASEN 2022 by comuna), each over the area's whole population
CHARACTERISTICS = ("foreign_nationals", "public_health_insurance", "private_health_insurance", "income_poverty",
                   "multidimensional_poverty", "unemployed", "inactive")
CONCEPTS: dict[str, Concept] = {
    c.name: c
    for c in [
        # migration
        _C("migrant_status", "VARCHAR", "international migrant (foreign-born; citizenship where birthplace is missing)",
           ("migrant", "native"), "UN Recommendations on Statistics of International Migration (1998, 2021)", "migration"),
        _C("migrant_basis", "VARCHAR", "what migrant_status rests on", ("birth", "citizenship"), "", "migration"),
        _C("country_birth", "VARCHAR", "country of birth", None, "ISO 3166-1 alpha-3 (ZZO other, ZZU foreign unknown)", "migration"),
        _C("country_citizenship", "VARCHAR", "country of citizenship", None, "ISO 3166-1 alpha-3 (ZZO other, ZZU foreign unknown)", "migration"),
        _C("country_origin", "VARCHAR", "country of birth, else of citizenship (the corridor's origin)", None, "ISO 3166-1 alpha-3", "migration"),
        _C("country_destination", "VARCHAR", "country of residence (the corridor's destination)", None, "ISO 3166-1 alpha-3", "migration"),
        _C("year_arrival", "INTEGER", "year of arrival in the country of residence", None, "", "migration"),
        _C("years_since_arrival", "DOUBLE", "completed years since arrival (recent migrant: < 5)", None, "", "migration"),
        # the calendar bands of the question "between which years did you arrive?" (INE ENUSC 2019-2020)
        _C("arrival_period", "VARCHAR", "period of arrival in the country of residence (calendar years)",
           ARRIVAL_PERIODS, "", "migration"),
        # demography and geography
        _C("sex", "VARCHAR", "sex", ("male", "female")),
        _C("age", "INTEGER", "age in completed years", None),
        _C("age_group", "VARCHAR", "age group, e.g. '0-4', '15-19', '80+'", None),
        _C("region", "VARCHAR", "first-level subdivision of residence", None, "ISO 3166-2", "geography"),
        _C("area_code", "VARCHAR", "lower-level area of residence (national code, e.g. Chile's comuna CUT)", None, "national", "geography"),
        _C("area_name", "VARCHAR", "name of the area_code area, as the source writes it", None, "", "geography"),
        _C("urban_rural", "VARCHAR", "urban or rural area", ("urban", "rural"), "", "geography"),
        _C("year", "INTEGER", "reference year of the observation or table cell", None, "", "geography"),
        _C("education", "INTEGER", "highest level attained", None, "ISCED 2011 level 0-8"),
        # labour
        _C("labour_status", "VARCHAR", "labour-force status (working age 15+)", ("employed", "unemployed", "outside"),
           "ILO 19th ICLS (2013)", "labour"),
        _C("informal", "BOOLEAN", "informal employment", None, "ILO 21st ICLS (2023)", "labour"),
        _C("isco08", "VARCHAR", "occupation", None, "ISCO-08", "labour"),
        _C("isic4", "VARCHAR", "economic activity", None, "ISIC Rev.4", "labour"),
        _C("labour_income", "DOUBLE", "monthly labour income, national currency", None, "", "labour"),
        _C("household_income", "DOUBLE", "monthly household income, national currency", None, "", "income"),
        _C("poverty", "VARCHAR", "income poverty status", ("extreme", "non_extreme", "not_poor"), "national poverty line", "income"),
        # health
        _C("health_insurance", "VARCHAR", "health insurance system", ("public", "private", "other", "none"), "", "health"),
        _C("unmet_need", "BOOLEAN", "had a health need and did not receive care", None, "", "health"),
        _C("used_care", "BOOLEAN", "used health care in the reference period", None, "", "health"),
        _C("self_rated_health", "VARCHAR", "self-rated health", ("very_good", "good", "fair", "bad", "very_bad"), "", "health"),
        # aggregate tables
        _C("count", "DOUBLE", "number of persons in an aggregate table cell", None, "", "aggregate"),
        _C("characteristic", "VARCHAR", "what the share of an aggregate table cell measures", CHARACTERISTICS, "", "aggregate"),
        _C("share", "DOUBLE", "share (0-1) of the cell's whole population having the characteristic", None, "", "aggregate"),
        # design
        _C("weight", "DOUBLE", "sampling (expansion) weight", None, "", "design"),
        _C("strata", "VARCHAR", "variance stratum", None, "", "design"),
        _C("psu", "VARCHAR", "primary sampling unit (cluster)", None, "", "design"),
        _C("fpc", "DOUBLE", "finite population correction (population size or sampling fraction)", None, "", "design"),
        _C("household_id", "VARCHAR", "household identifier", None, "", "design"),
    ]
}

DESIGN_COLUMNS = ("weight", "strata", "psu", "fpc")


def concept(name: str) -> Concept | None:
    """The concept called ``name`` (replicate weights ``repw_1`` ... are design columns too)."""
    return CONCEPTS.get(name)
