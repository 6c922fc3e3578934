"""Every rule's own examples are its tests: `match` must fire the rule, `no_match` must not.

Adding a rule means adding YAML with examples; this file picks it up. The meta-test keeps every rule
honest with at least 5 examples of each kind.
"""

import pytest

from auditor.detect.rules import load_rules, rule_ids_matching

RULES = load_rules()
CASES = [(r, kind, i, text) for r in RULES for kind in ("match", "no_match")
         for i, text in enumerate(getattr(r, kind))]


@pytest.mark.parametrize("rule,kind,i,text", CASES, ids=[f"{r.id}:{k}{i}" for r, k, i, _ in CASES])
def test_rule_example(rule, kind, i, text):
    fired = rule.id in rule_ids_matching(text, rule.language, rule.role)
    if kind == "match":
        assert fired, f"{rule.id} ({rule.path}:{rule.line}) should match: {text!r}"
    else:
        assert not fired, f"{rule.id} ({rule.path}:{rule.line}) should NOT match: {text!r}"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_has_examples(rule):
    assert len(rule.match) >= 5, f"{rule.id}: needs >= 5 match examples"
    assert len(rule.no_match) >= 5, f"{rule.id}: needs >= 5 no_match examples"
    assert rule.message and rule.why, f"{rule.id}: needs message and why"


def test_every_signal_has_rules_in_both_languages():
    from auditor.types import SIGNALS

    for lang in ("en", "fa"):
        covered = {r.signal for r in RULES if r.language == lang}
        missing = [s for s in SIGNALS if s not in covered]
        assert not missing, f"{lang}: no rule for {missing}"
