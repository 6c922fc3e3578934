"""Training and evaluation end to end on a tiny fixture, bad labelled data, and safe model loading."""

import json

import pytest
from click.testing import CliRunner

from auditor.cli import main

EN_POS = ["Hello there! Happy to help with your order.", "Hi Sam, good morning to you.", "Hey! Welcome back."]
EN_NEG = ["Your parcel ships tomorrow.", "Please restart the router.", "The refund was issued."]
FA_POS = ["سلام وقتتون بخیر، در خدمتم.", "سلام، روزتون بخیر!", "درود بر شما، چطور کمک کنم؟"]
FA_NEG = ["سفارشتون فردا ارسال می‌شه.", "لطفاً مودم رو خاموش و روشن کنید.", "مبلغ به حسابتون برگشت."]


def _fixture(root, n=90):
    for lang, pos, neg in (("en", EN_POS, EN_NEG), ("fa", FA_POS, FA_NEG)):
        (root / lang).mkdir(parents=True)
        with (root / lang / "tiny.jsonl").open("w", encoding="utf-8") as fh:
            for i in range(n):
                greet = i % 2 == 0
                text = (pos if greet else neg)[i % 3] + f" #{i}"
                fh.write(json.dumps({"id": f"{lang}-{i}", "conversation": f"{lang}-c{i}", "role": "agent",
                                     "text": text, "labels": ["greeting"] if greet else []}, ensure_ascii=False) + "\n")
    return root


def test_train_then_evaluate_on_tiny_fixture(tmp_path):
    data = _fixture(tmp_path / "data")
    out = tmp_path / "models"
    result = CliRunner().invoke(main, ["train", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "signals-en.skops").is_file() and (out / "signals-fa.skops").is_file()
    card = json.loads((out / "signals-fa.json").read_text())
    assert card["signals"] == ["greeting"] and len(card["sha256"]) == 64 and "thresholds" in card
    result = CliRunner().invoke(main, ["evaluate", "--data", str(data), "--models", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for lang in ("en", "fa"):
        row = report["languages"][lang]["signals"]["greeting"]
        assert set(row) == {"rules", "models", "combined"}
        assert row["models"]["support"] == row["rules"]["support"] > 0
    errors = CliRunner().invoke(main, ["evaluate", "--data", str(data), "--models", str(out), "--show-errors", "greeting"])
    assert errors.exit_code == 0


@pytest.mark.parametrize("record,message", [
    ({"id": "a", "role": "agent", "text": "hi", "labels": ["greting"]}, "unknown signal 'greting'"),
    ({"id": "a", "role": "agent", "text": "  ", "labels": []}, "empty text"),
    ({"id": "a", "role": "customer", "text": "hi", "labels": ["greeting"]}, "'greeting' is a agent signal but this is a customer turn"),
])
def test_train_stops_on_bad_labelled_data_with_file_and_line(tmp_path, record, message):
    (tmp_path / "en").mkdir()
    good = {"id": "ok", "role": "agent", "text": "Hello", "labels": ["greeting"]}
    path = tmp_path / "en" / "x.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(record) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["train", "--data", str(tmp_path), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert f"{path}:2: {message}" in result.stderr and "Traceback" not in result.output


def test_model_loader_refuses_types_outside_the_allow_list(tmp_path):
    import skops.io as sio
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    from auditor.detect.models import ModelError, load_bundle

    path = tmp_path / "evil.skops"
    sio.dump({"models": {"x": Pipeline([("f", FunctionTransformer(print))])}}, str(path))
    with pytest.raises(ModelError, match="refusing to load"):
        load_bundle(path)
    (tmp_path / "junk.skops").write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="not a readable skops"):
        load_bundle(tmp_path / "junk.skops")


def test_shipped_models_load_and_emit_model_findings():
    from auditor.detect import DetectOptions, Detector
    from auditor.detect.models import load_language_model
    from auditor.types import Conversation, Turn

    for lang in ("en", "fa"):
        model = load_language_model(lang)
        assert model is not None and "empathy" in model.signals
    conv = Conversation(id="x", turns=[Turn(role="customer", text="this is the third time I'm asking, useless!!"),
                                       Turn(role="agent", text="Ugh, what a hassle for you. Let me sort it out right now.")])
    findings = Detector(DetectOptions(detectors="models")).detect(conv)
    assert findings and all(f.rule.startswith("model:") and 0 <= f.confidence <= 1 for f in findings)
    assert all(f.evidence == conv.turns[f.turn].text[f.span[0]:f.span[1]] for f in findings)
