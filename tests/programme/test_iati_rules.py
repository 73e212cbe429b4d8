"""corridor's reader of the IATI Standard's rulesets gives the reference runner's outcomes on its meta tests."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from corridor.programme.iati_rules import evaluate, ruleset

REF = Path(__file__).resolve().parents[1] / "reference" / "iati_rulesets"
CASES = list(csv.DictReader((REF / "expected.csv").open(encoding="utf-8")))


@pytest.mark.parametrize("case", CASES, ids=[f"{c['ruleset']}-{c['document']}" for c in CASES])
def test_meta_tests_give_the_reference_outcome(case):
    rules = json.loads((REF / "meta_tests" / f"{case['ruleset']}.json").read_text(encoding="utf-8"))
    xml = (REF / "meta_tests" / f"{case['document']}.xml").read_bytes()
    passes = all(r.passed is not False for r in evaluate(xml, rules=rules))
    assert str(passes) == case["passes"]


def test_every_rule_kind_of_the_standard_ruleset_is_read():
    kinds = set()
    for rules in ruleset().values():
        for kind, body in rules.items():
            kinds.add(kind)
            if kind == "loop":
                for case in body["cases"]:
                    kinds |= set(case["do"])
    assert kinds <= {"atleast_one", "no_more_than_one", "only_one_of", "one_or_all", "unique", "startswith",
                     "strict_sum", "sum", "range", "date_order", "date_now", "time_limit", "between_dates",
                     "regex_matches", "regex_no_matches", "no_spaces", "if_then", "dependent", "loop"}
