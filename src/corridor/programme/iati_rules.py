"""Evaluate the IATI Standard's ``standard`` ruleset (version 2.03) on an IATI XML document.

The ruleset (``reference/iati_rulesets_standard.json``, the IATI-Rulesets repository's
``rulesets/standard.json``, unchanged) is what the IATI Validator checks beyond the schema. Each
rule applies XPath expressions to every element of its context; this module reads the rule
kinds the 2.03 ruleset uses, as its specification (SPEC.rst of that repository) describes them.
Two kinds of case depend on the IATI Registry, which a file alone cannot consult:

* ``idCondition: NOT_EXISTING_ORG_ID`` (apply the rule only when the identifier is not a
  registered publisher's): the rule is applied to every identifier, which is stricter;
* the ``ORG-ID-PREFIX`` prefix list: org-id.guide's list codes, shipped in ``reference/``.

A result is ``passed`` True or False, or None when the rule does not apply (its condition is
false, or a date it compares is absent).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from corridor._deps import import_optional
from corridor.programme.iati_codes import org_id_prefixes

RULESET = Path(__file__).resolve().parent / "reference" / "iati_rulesets_standard.json"
_DATE = re.compile(r"^(-?\d{4,})-(\d{2})-(\d{2})")


@cache
def ruleset() -> dict:
    return json.loads(RULESET.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class RuleResult:
    id: str
    severity: str
    category: str
    message: str
    context: str
    rule: str
    element: str
    passed: bool | None

    @property
    def failed(self) -> bool:
        return self.passed is False and self.severity == "error"

    @property
    def warned(self) -> bool:
        return self.passed is False and self.severity != "error"


def _text(node: Any) -> str:
    if isinstance(node, str):
        return str(node)
    return node.text or ""


def _truthy(value: Any) -> bool:
    if isinstance(value, list):
        return len(value) > 0
    if isinstance(value, float):
        return value != 0 and not math.isnan(value)
    return bool(value)


def _matches(element: Any, paths: list[str]) -> list:
    out: list = []
    for p in paths:
        got = element.xpath(p)
        out += got if isinstance(got, list) else [got]
    return out


def _date(element: Any, path: str, today: dt.date) -> dt.date | None:
    if path in ("NOW", "TODAY"):
        return today
    got = element.xpath(path)
    if not got:
        return None
    m = _DATE.match(_text(got[0]).strip())
    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def _one_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _decimals(nodes: list) -> list[Decimal] | None:
    try:
        return [Decimal(_text(n).strip()) for n in nodes]
    except InvalidOperation:
        return None


def _case(rule: str, element: Any, case: dict, now: dt.datetime) -> bool | None:
    """One case of one rule on one element (see the module docstring)."""
    if "condition" in case and not _truthy(element.xpath(case["condition"])):
        return None
    today = now.date()
    matches = _matches(element, case["paths"]) if "paths" in case else []
    if rule == "atleast_one":
        return len(matches) >= 1
    if rule == "no_more_than_one":
        return len(matches) <= 1
    if rule == "only_one_of":
        excluded = any(_truthy(element.xpath(x)) for x in case.get("excluded", []))
        return len(matches) == 0 if excluded else len(matches) == 1
    if rule == "one_or_all":
        if _truthy(element.xpath(case["one"])):
            return True
        if case["all"] == "lang":
            return all(n.xpath("@xml:lang") for n in element.xpath("descendant::narrative"))
        if case["all"] == "sector":
            return all(t.xpath("sector") for t in element.xpath("transaction"))
        if case["all"] == "currency":
            return all(v.xpath("@currency") for tag in ("value", "forecast", "loan-status")
                       for v in element.xpath(f"descendant::{tag}"))
        raise ValueError(f"one_or_all with all={case['all']!r} is not known")
    if rule == "unique":
        texts = [_text(n) for n in matches]
        return len(texts) == len(set(texts))
    if rule == "startswith":
        if case.get("prefix") == ["ORG-ID-PREFIX"]:
            prefixes = sorted(org_id_prefixes())
        else:
            prefixes = [_text(n) for n in _matches(element, case.get("prefix", [case.get("start", "")]))]
        sep = case.get("separator", "")
        return all(any(_text(n).startswith(p + sep) for p in prefixes) for n in matches)
    if rule in ("strict_sum", "sum"):
        values = _decimals(matches)
        if values is None:
            return False
        if rule == "sum" and not values:
            return True
        return sum(values, Decimal(0)) == Decimal(str(case["sum"]))
    if rule == "range":
        values = _decimals(matches)
        lo, hi = Decimal(str(case.get("min", "-Infinity"))), Decimal(str(case.get("max", "Infinity")))
        return values is not None and all(lo <= v <= hi for v in values)
    if rule == "date_order":
        less, more = _date(element, case["less"], today), _date(element, case["more"], today)
        return None if less is None or more is None else less <= more
    if rule == "date_now":
        got = element.xpath(case["date"])
        if not got:
            return None
        stamp = dt.datetime.fromisoformat(_text(got[0]).strip()).replace(tzinfo=None)
        return stamp <= now
    if rule == "time_limit":
        start, end = _date(element, case["start"], today), _date(element, case["end"], today)
        return None if start is None or end is None else end <= _one_year_after(start)
    if rule == "between_dates":
        day = _date(element, case["date"], today)
        start, end = _date(element, case["start"], today), _date(element, case["end"], today)
        return None if None in (day, start, end) else start <= day <= end
    if rule in ("regex_matches", "regex_no_matches"):
        found = [re.search(case["regex"], _text(n)) is not None for n in matches]
        return all(found) if rule == "regex_matches" else not any(found)
    if rule == "no_spaces":
        return all(_text(n) == _text(n).strip() for n in matches)
    if rule == "if_then":
        return _truthy(element.xpath(case["then"])) if _truthy(element.xpath(case["if"])) else True
    if rule == "dependent":
        present = [bool(element.xpath(p)) for p in case["paths"]]
        return all(present) or not any(present)
    raise ValueError(f"rule kind {rule!r} is not known")


def _info(case: dict) -> dict:
    return case.get("ruleInfo") or {}


def evaluate(xml: bytes, *, now: dt.datetime | None = None, rules: dict | None = None) -> list[RuleResult]:
    """Every case of the ruleset on every element of its context, in ruleset order."""
    etree = import_optional("lxml.etree", feature="IATI ruleset checks")
    doc = etree.fromstring(xml)
    tree = doc.getroottree()
    now = (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None)
    out: list[RuleResult] = []

    def record(ctx: str, rule: str, element: Any, case: dict) -> None:
        info = _info(case)
        out.append(RuleResult(id=info.get("id", "?"), severity=info.get("severity", "error"),
                              category=info.get("category", ""), message=info.get("message", ""), context=ctx,
                              rule=rule, element=tree.getpath(element), passed=_case(rule, element, case, now)))

    for ctx, kinds in (rules or ruleset()).items():
        for element in tree.xpath(ctx):
            for rule, body in kinds.items():
                for case in body["cases"]:
                    if rule != "loop":
                        record(ctx, rule, element, case)
                        continue
                    values = list(dict.fromkeys(_text(v) for v in element.xpath(case["foreach"])))
                    for sub_rule, sub_body in case["do"].items():
                        for sub_case in sub_body["cases"]:
                            for value in values:
                                filled = dict(sub_case)
                                for key in case.get("subs", []):
                                    if key in filled:
                                        v = filled[key]
                                        filled[key] = ([x.replace("$1", value) for x in v] if isinstance(v, list)
                                                       else v.replace("$1", value))
                                record(ctx, sub_rule, element, filled)
    return out


def summary(results: list[RuleResult]) -> dict[str, int]:
    """Counts of evaluated, passed, failed (errors), warnings and not applicable cases."""
    return {"evaluated": len(results), "passed": sum(r.passed is True for r in results),
            "errors": sum(r.failed for r in results), "warnings": sum(r.warned for r in results),
            "not_applicable": sum(r.passed is None for r in results),
            "rules": len({r.id for r in results})}
