"""Rule packs are validated on load: every mistake is reported as file:line with what is wrong."""

import pytest

from auditor.detect.rules import load_rules, rule_ids_matching
from auditor.yamlio import DataFileError

GOOD = """\
- id: {lang}.negative.cannot
  signal: negative_phrasing
  message: "Says what can't be done."
  why: "competencies-20/1"
  patterns:
    - phrases: [{phrase}]
  unless_followed_by: [{alt}]
  match: []
  no_match: []
"""
PACKS = {"en": GOOD.format(lang="en", phrase='"can not refund"', alt='"but"'),
         "fa": GOOD.format(lang="fa", phrase='"نمی‌تونم لغو کنم"', alt='"ولی"')}


def write_packs(root, en=None, fa=None):
    for lang, text in (("en", en or PACKS["en"]), ("fa", fa or PACKS["fa"])):
        (root / lang).mkdir(parents=True, exist_ok=True)
        (root / lang / "negative.yaml").write_text(text, encoding="utf-8")
    return str(root)


def test_custom_packs_load_and_match_in_both_languages(tmp_path):
    root = write_packs(tmp_path)
    assert {r.id for r in load_rules(root)} == {"en.negative.cannot", "fa.negative.cannot"}
    assert "en.negative.cannot" in rule_ids_matching("We can't refund it.", "en", "agent", root)
    assert "en.negative.cannot" not in rule_ids_matching("We cant refund it, but we can credit you.", "en", "agent", root)
    assert "fa.negative.cannot" in rule_ids_matching("متاسفانه نمي تونم لغو كنم", "fa", "agent", root)
    assert "fa.negative.cannot" not in rule_ids_matching("نمیتونم لغو کنم ولی مرجوعش می‌کنم", "fa", "agent", root)


@pytest.mark.parametrize("lang,old,new,message", [
    ("en", "  signal: negative_phrasing", "  signal: negative_phrase", ":2: unknown signal 'negative_phrase' (did you mean 'negative_phrasing'?)"),
    ("en", "  patterns:", "  pattern:", ":5: unknown rule key 'pattern' (did you mean 'patterns'?)"),
    ("fa", "    - phrases: [", "    - tokens: [{REGEX: \"(a+)+$\"}]\n    - phrases: [", ":6: token attribute 'REGEX' not allowed (raw regexes are refused"),
    ("fa", "- id: fa.negative.cannot", "- id: en.negative.cannot2", ":1: rule en.negative.cannot2 is in the 'fa' pack"),
    ("en", "  message:", "  severity: fatal\n  message:", ":3: severity must be one of"),
    ("en", "    - phrases:", "    - phrase:", ":6: unknown pattern kind 'phrase' (did you mean 'phrases'?)"),
    ("fa", "  match: []", "  match: [\n", "invalid YAML"),
])
def test_bad_rule_is_reported_with_file_and_line(tmp_path, lang, old, new, message):
    texts = dict(PACKS)
    assert old in texts[lang]
    texts[lang] = texts[lang].replace(old, new, 1)
    root = write_packs(tmp_path, **texts)
    with pytest.raises(DataFileError) as exc:
        load_rules(root)
    assert f"{lang}/negative.yaml" in str(exc.value) and message in str(exc.value), str(exc.value)


def test_duplicate_rule_ids_are_an_error(tmp_path):
    root = write_packs(tmp_path)
    (tmp_path / "en" / "more.yaml").write_text(PACKS["en"], encoding="utf-8")
    with pytest.raises(DataFileError, match="duplicate rule id en.negative.cannot"):
        load_rules(root)
