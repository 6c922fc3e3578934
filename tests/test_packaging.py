"""A non-editable install (wheel) still finds rules/, scorecards/ and models/ and audits offline."""

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

CHECK = r"""
import json, sys
from auditor.resources import resource_dir
from auditor.detect.rules import load_rules
from auditor.detect.models import load_language_model
from auditor.score import available_scorecards
target = sys.argv[1]
for name in ("rules", "models", "scorecards"):
    assert str(resource_dir(name)).startswith(target), resource_dir(name)
rules = load_rules()
assert {r.language for r in rules} == {"en", "fa"}
assert {"competencies-20", "core-5"} <= set(available_scorecards())
assert load_language_model("fa") is not None and load_language_model("en") is not None
print("ok", len(rules))
"""


def test_wheel_install_finds_bundled_data(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(wheels.glob("auditor-*.whl"))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", CHECK, str(target)], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok")
