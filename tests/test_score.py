"""Scorecards: loading and validation (file:line), and the scoring rule of docs/scoring.md."""

import pytest

from auditor.score import ScorecardError, available_scorecards, load_scorecard, score_conversation
from auditor.types import Conversation, Finding, Turn

CARD = """\
id: toy
title: Toy card
scale: {min: 1, max: 5, neutral: 3}
items:
  - id: "care"
    label: Care
    observable: "yes"
    raises:
      empathy: {points: 2, after: frustration}
      apology: 1
    lowers:
      negative_phrasing: 1
  - id: "close"
    label: Closing
    observable: "yes"
    expects:
      closing_check: {points: 1, near_end: true}
  - id: "handover"
    label: Hand-over
    observable: partly
    occasion: [escalation]
    raises: {escalation_complete: 2}
    lowers: {escalation: {points: 1, without: escalation_complete}}
  - id: "honest"
    label: Integrity
    observable: "yes"
    critical: [false_promise]
  - id: "looks"
    label: Appearance
    observable: "no"
"""


@pytest.fixture
def toy(tmp_path):
    path = tmp_path / "toy.yaml"
    path.write_text(CARD)
    return load_scorecard(str(path))


def conv(roles, lang="en"):
    return Conversation(id="c", agent="a", language=lang, turns=[Turn(role=r, text="x" * 10) for r in roles])


def f(turn, signal, role="agent"):
    return Finding(conversation="c", turn=turn, role=role, signal=signal, rule=f"en.{signal}.t", span=(0, 3),
                   evidence="xxx", severity="info", confidence=0.9, language="en")


def items(result):
    return {i["id"]: i for i in result["items"]}


def test_bundled_scorecards_load_in_checklist_order():
    cards = available_scorecards()
    assert {"competencies-20", "personal-skills-9", "helpscout-15", "core-5"} <= set(cards)
    c20 = load_scorecard("competencies-20")
    assert [i.id for i in c20.items] == [str(n) for n in range(1, 21)] and c20.full_max == 100
    assert [i.id for i in load_scorecard("core-5").items] == ["tolerance", "empathy", "communication", "technical", "results"]
    assert len(load_scorecard("personal-skills-9").items) == 9 and len(load_scorecard("helpscout-15").items) == 15
    assert all(i.original for i in c20.items)  # Persian labels from seed 002


def test_empathy_after_frustration_counts_full_otherwise_half(toy):
    c = conv(["customer", "agent", "agent"])
    after = items(score_conversation(toy, c, [f(0, "frustration", "customer"), f(1, "empathy")]))
    assert after["care"]["score"] == 5 and after["care"]["evidence"][0]["effect"] == 2
    before = items(score_conversation(toy, c, [f(1, "empathy"), f(2, "frustration", "customer")]))
    assert before["care"]["score"] == 4  # 3 + 1 (half points), no frustration before it


def test_repeated_apology_counts_once_and_lowers_count_at_most_twice(toy):
    c = conv(["agent"] * 4)
    once = items(score_conversation(toy, c, [f(i, "apology") for i in range(4)]))
    assert once["care"]["score"] == 4
    low = items(score_conversation(toy, c, [f(i, "negative_phrasing") for i in range(4)]))
    assert low["care"]["score"] == 1 and len(low["care"]["evidence"]) == 2


def test_closing_check_counts_only_near_the_end(toy):
    c = conv(["customer", "agent", "customer", "agent", "customer", "agent"])
    assert items(score_conversation(toy, c, [f(5, "closing_check")]))["close"]["score"] == 3
    early = items(score_conversation(toy, c, [f(1, "closing_check")]))["close"]
    assert early["score"] == 2 and early["missing"] == ["closing_check"]


def test_incomplete_handover_scores_lower_than_complete_and_no_occasion_is_null(toy):
    c = conv(["customer", "agent"])
    complete = items(score_conversation(toy, c, [f(1, "escalation"), f(1, "escalation_complete")]))
    incomplete = items(score_conversation(toy, c, [f(1, "escalation")]))
    assert complete["handover"]["score"] == 5 and incomplete["handover"]["score"] == 2
    none = items(score_conversation(toy, c, []))["handover"]
    assert none["score"] is None and none["status"] == "not_assessable" and "escalation" in none["reason"]


def test_critical_breach_unobservable_items_and_rescaled_total(toy):
    c = conv(["customer", "agent"])
    result = score_conversation(toy, c, [f(1, "false_promise")])
    it = items(result)
    assert it["honest"]["score"] == 1 and it["honest"]["status"] == "critical"
    assert result["critical"] == ["false_promise"]
    assert it["looks"]["score"] is None and it["looks"]["status"] == "not_assessable"
    # assessable: care 3, close 2 (no closing), honest 1; handover (no occasion) and looks are null
    assert result["total"] == 6 and result["assessable_max"] == 15 and result["max"] == 25
    assert result["rescaled"] == 10.0
    assert score_conversation(toy, c, [f(1, "false_promise")]) == result  # deterministic


@pytest.mark.parametrize("mutate,message", [
    (lambda t: t.replace("apology: 1", "apologyy: 1"), ":10: item care raises: 'apologyy' is not a signal any detector emits (did you mean 'apology'?)"),
    (lambda t: t.replace("    raises:\n      empathy", "    raise:\n      empathy", 1), ":8: unknown item key 'raise' (did you mean 'raises'?)"),
    (lambda t: t.replace('observable: "no"', "observable: maybe"), ":30: observable must be yes, partly or no"),
    (lambda t: t.replace("scale: {min: 1, max: 5, neutral: 3}", "scale: {min: 5, max: 1}"), ":3: scale must have min < max"),
    (lambda t: t.replace("items:\n", "items:\n  - {label: x, observable: yes}\n"), ":5: item is missing 'id'"),
    (lambda t: t + "  - : [\n", "invalid YAML"),
])
def test_malformed_scorecard_is_rejected_with_file_line_and_reason(tmp_path, mutate, message):
    path = tmp_path / "bad.yaml"
    path.write_text(mutate(CARD))
    with pytest.raises(ScorecardError) as exc:
        load_scorecard(str(path))
    assert str(path) in str(exc.value) and message in str(exc.value)


def test_unknown_scorecard_name_lists_the_available_ones():
    with pytest.raises(ScorecardError, match="available: .*competencies-20"):
        load_scorecard("competencies-21")


@pytest.mark.parametrize("lang,turns,expect", [
    ("en", [("customer", "This is ridiculous, my order is STILL not here!!"),
            ("agent", "Calm down. As I already said, it's not our fault, the courier is late."),
            ("customer", "Unbelievable.")], {"tolerance": 1}),
    ("fa", [("customer", "واقعا که! چرا هنوز سفارشم نرسیده؟ خسته شدم"),
            ("agent", "آروم باشید. گفتم که، تقصیر پسته نه ما."),
            ("customer", "افتضاحه")], {"tolerance": 1}),
    ("en", [("customer", "My card was charged twice, I'm so frustrated."),
            ("agent", "Hi Sara, I'm sorry, I understand how frustrating that is. So the charge appears twice, right?"),
            ("customer", "Yes."),
            ("agent", "What I can do is refund the duplicate right now. Is there anything else I can help with?"),
            ("customer", "Perfect, thanks!")], {"tolerance": 5, "empathy": 5}),
    ("fa", [("customer", "دو بار از کارتم کم شده، واقعا کلافه شدم"),
            ("agent", "سلام خانم رضایی، متوجه ناراحتی‌تون هستم. یعنی مبلغ دو بار کسر شده، درسته؟"),
            ("customer", "بله"),
            ("agent", "مبلغ اضافه رو همین الان براتون برگشت زدم. امر دیگه‌ای هست؟"),
            ("customer", "ممنون، حل شد")], {"tolerance": 5, "empathy": 5}),
])
def test_core5_on_hand_made_conversations_follows_the_guide(lang, turns, expect):
    from auditor.detect import DetectOptions, Detector

    c = Conversation(id="h", agent="a", turns=[Turn(role=r, text=t) for r, t in turns])
    findings = Detector(DetectOptions(detectors="rules")).detect(c)
    got = items(score_conversation(load_scorecard("core-5"), c, findings))
    for item, score in expect.items():
        assert got[item]["score"] == score, (item, got[item], [(x.turn, x.signal) for x in findings])
