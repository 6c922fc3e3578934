"""Command line: `auditor audit|lint|rules|...`. Thin: parses options, wires the stages, maps errors to
exit codes (0 ok, 1 findings at/above the fail level, 2 usage or runtime error) without tracebacks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__
from .config import Config, ConfigError, find_config, load_config, split_codes
from .types import SEVERITIES
from .yamlio import DataFileError

SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
EPILOG_AUDIT = """\b
Examples:
  auditor audit examples/                          # every transcript in a folder
  auditor audit chats.jsonl --format jsonl -o audit.jsonl
  auditor audit tickets.csv --lang fa --ignore fa.clarity
  auditor audit macros.txt --select negative_phrasing,blame
"""


class UserError(click.ClickException):
    """Printed as `error: ...`, exit 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"error: {self.message}", err=True)


def _load_cfg(paths, config_path) -> Config:
    try:
        if config_path:
            return load_config(Path(config_path))
        start = Path(paths[0]) if paths else Path.cwd()
        return load_config(find_config(start if start.exists() else Path.cwd()))
    except ConfigError as exc:
        raise UserError(str(exc)) from None


def _options(cfg: Config, select, ignore, lang):
    from .detect import DetectOptions

    return DetectOptions(select=split_codes(select) or cfg.select, ignore=cfg.ignore + split_codes(ignore),
                         severity=cfg.severity, language=lang or cfg.language or "auto")


def _progress(enabled: bool):
    if not enabled:
        return None
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} conversations"),
                    TimeElapsedColumn(), console=Console(stderr=True), transient=True)


def run(paths, fmt, output, cfg, options, *, input_format="auto", text_mode="auto", jobs=1, quiet=False, rejects=None,
        scorecards=(), max_turn_chars=None, color=None, formatter_options=None):
    """Run ingest → detect → (score) → report. Returns the Summary."""
    from .ingest import MAX_TURN_CHARS, Notice, read_paths
    from .pipeline import AuditResult, Summary, audit
    from .report import FORMATTERS

    if fmt not in FORMATTERS:
        raise UserError(f"unknown format {fmt!r}; choose from {', '.join(FORMATTERS)}")
    scorer_factory = None
    if scorecards:
        from .score import ScorerFactory, load_scorecard, ScorecardError

        try:
            cards = [load_scorecard(name) for name in scorecards]
        except ScorecardError as exc:
            raise UserError(str(exc)) from None
        scorer_factory = ScorerFactory(tuple(c.path for c in cards))
    out = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout
    to_terminal = not output and sys.stdout.isatty()
    use_color = to_terminal if color is None else color
    formatter = FORMATTERS[fmt](out, color=use_color, **(formatter_options or {}))
    summary = Summary()
    reject_file = open(rejects, "w", encoding="utf-8") if rejects else None
    progress = _progress(not quiet and not to_terminal and sys.stderr.isatty())
    try:
        items = read_paths(paths, input_format, max_turn_chars or MAX_TURN_CHARS, text_mode=text_mode)
        formatter.begin()
        task = None
        if progress:
            progress.start()
            task = progress.add_task("auditing", total=None)
        for item in audit(items, options, scorer_factory, jobs=jobs):
            summary.add(item)
            if isinstance(item, AuditResult):
                formatter.result(item)
                if progress:
                    progress.advance(task)
            elif isinstance(item, Notice):
                if not quiet:
                    click.echo(f"warning: {item}", err=True)
            else:
                formatter.rejection(item)
                if not quiet:
                    click.echo(f"rejected: {item}", err=True)
                if reject_file:
                    reject_file.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
        formatter.end(summary)
    except DataFileError as exc:
        raise UserError(str(exc)) from None
    finally:
        if progress:
            progress.stop()
        if output:
            out.close()
        if reject_file:
            reject_file.close()
    if not quiet:
        click.echo(summary.line(), err=True)
    if summary.audited == 0 and summary.read == summary.rejected:
        raise UserError("nothing could be read" + (f" ({summary.rejected} rejected)" if summary.rejected else ""))
    return summary


def _exit_for(summary, fail_level: str | None) -> int:
    if not fail_level or fail_level == "none":
        return 0
    rank = SEVERITY_RANK[fail_level]
    return 1 if any(SEVERITY_RANK[s] >= rank and n for s, n in summary.by_severity.items()) else 0


class AuditorGroup(click.Group):
    """Turns the known user-fixable errors (bad rule/scorecard/model files) into `error: ...`, exit 2."""

    def invoke(self, ctx):
        from .detect.models import ModelError

        try:
            return super().invoke(ctx)
        except (DataFileError, ModelError) as exc:
            raise UserError(str(exc)) from None


@click.group(cls=AuditorGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="auditor")
def main():
    """Audit customer-support conversations (Persian and English) against skill checklists.

    \b
    Start with:  auditor audit examples/
    Then:        auditor rules list   ·   auditor rules explain en.empathy.understand
    """


def _common(f):
    decorators = [
        click.argument("paths", nargs=-1, required=True, type=click.Path()),
        click.option("--format", "-f", "fmt", default=None, help="text | json | jsonl | concise (more formats: see docs)."),
        click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write results here instead of stdout."),
        click.option("--lang", type=click.Choice(["auto", "fa", "en"]), default=None, help="Language (default: detect per conversation and turn)."),
        click.option("--select", multiple=True, help="Only these rules: ids, id prefixes (en.empathy) or signals; comma-separated."),
        click.option("--ignore", multiple=True, help="Skip these rules (same forms as --select)."),
        click.option("--input-format", type=click.Choice(["auto", "jsonl", "json", "csv", "transcript", "canned"]),
                     default="auto", help="How to read inputs (default: by extension, then by content)."),
        click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None, help="Worker processes (default 1)."),
        click.option("--rejects", type=click.Path(dir_okay=False), help="Write rejected records (JSONL) here."),
        click.option("--max-turn-chars", type=click.IntRange(1), default=None, help="Reject turns longer than this (default 100,000)."),
        click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), help="Config file (default: nearest .auditor.toml or pyproject.toml [tool.auditor])."),
        click.option("--fail-level", type=click.Choice(["none", *SEVERITIES]), default=None, help="Exit 1 if a finding is at/above this severity."),
        click.option("--color/--no-color", default=None, help="Colour output (default: when writing to a terminal)."),
        click.option("--quiet", "-q", is_flag=True, help="No progress, warnings or summary on stderr."),
    ]
    for d in reversed(decorators):
        f = d(f)
    return f


@main.command(epilog=EPILOG_AUDIT)
@_common
@click.option("--scorecard", "scorecards", multiple=True, help="Score each conversation on a checklist (see `auditor scorecards list`).")
def audit(paths, fmt, output, lang, select, ignore, input_format, jobs, rejects, max_turn_chars, config_path,
          fail_level, color, quiet, scorecards):
    """Audit transcripts: findings per conversation with evidence, and optional checklist scores.

    PATHS are files or folders: JSONL (one conversation per line), JSON / helpdesk exports, CSV (one
    row per turn), Agent:/Customer: or اپراتور:/مشتری: transcripts, or one canned message per line.
    """
    cfg = _load_cfg(paths, config_path)
    cards = scorecards or ((cfg.scorecard,) if cfg.scorecard else ())
    summary = run(paths, fmt or cfg.format or "text", output, cfg, _options(cfg, select, ignore, lang),
                  input_format=input_format, jobs=jobs or cfg.jobs or 1, quiet=quiet, rejects=rejects,
                  scorecards=cards, max_turn_chars=max_turn_chars, color=color)
    sys.exit(_exit_for(summary, fail_level))


@main.command()
@_common
def lint(paths, fmt, output, lang, select, ignore, input_format, jobs, rejects, max_turn_chars, config_path,
         fail_level, color, quiet):
    """Lint canned responses / macros for CI: one message per line, findings with path:line:column.

    \b
    Exit codes: 0 nothing at/above the fail level (default: warning), 1 findings, 2 error.
    Suppress inline with `# auditor: disable=RULE[,RULE]` (or `<!-- auditor: disable=RULE -->`)
    on the line or alone on the line before; `disable=all` silences every rule there.
    """
    cfg = _load_cfg(paths, config_path)
    summary = run(paths, fmt or cfg.format or "concise", output, cfg, _options(cfg, select, ignore, lang),
                  input_format=input_format, text_mode="canned", jobs=jobs or 1, quiet=quiet, rejects=rejects,
                  max_turn_chars=max_turn_chars, color=color)
    sys.exit(_exit_for(summary, fail_level or cfg.fail_level or "warning"))


# ---- classifiers ---------------------------------------------------------------------------------
def _default_data() -> str:
    return str(Path.cwd() / "data" / "labelled")


@main.command()
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None,
              help="Labelled turns: DIR/<fa|en>/*.jsonl (default: ./data/labelled).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="models", show_default=True,
              help="Where to write signals-<lang>.skops and their model cards.")
@click.option("--lang", "langs", multiple=True, type=click.Choice(["fa", "en"]), help="Only these languages.")
def train(data_dir, out_dir, langs):
    """Train the per-signal classifiers on the train split; thresholds are chosen on dev."""
    from .learn import DataError, train_all
    from .modelcard import write_card

    try:
        reports = train_all(data_dir or _default_data(), out_dir, langs or ("fa", "en"))
    except DataError as exc:
        raise UserError(str(exc)) from None
    for r in reports:
        card = write_card(r, data_dir or _default_data())
        click.echo(f"{r.language}: {len(r.signals)} signal models in {r.seconds:.1f}s → {r.path} (card {card})")
        for signal, why in sorted(r.skipped.items()):
            click.echo(f"   no model for {signal}: {why}")


@main.command()
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None,
              help="Labelled turns: DIR/<fa|en>/*.jsonl (default: ./data/labelled).")
@click.option("--split", type=click.Choice(["test", "dev", "train", "all"]), default="test", show_default=True)
@click.option("--lang", "langs", multiple=True, type=click.Choice(["fa", "en"]), help="Only these languages.")
@click.option("--models", "models_dir", type=click.Path(file_okay=False), default=None,
              help="Model folder (default: the shipped models).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text")
@click.option("--show-errors", "show_errors", metavar="SIGNAL", default=None,
              help="List false positives and false negatives of SIGNAL, with the text.")
@click.option("--scorecards", "scorecards", is_flag=True, help="Evaluate checklist scores against human ratings instead.")
@click.option("--ratings", "ratings_dir", type=click.Path(file_okay=False), default=None,
              help="With --scorecards: folder with conversations-*.jsonl and ratings.jsonl (default ./data/ratings).")
def evaluate(data_dir, split, langs, models_dir, fmt, show_errors, scorecards, ratings_dir):
    """Precision/recall/F1 per signal and language for rules, models and both (or, with --scorecards,
    agreement of checklist scores with human ratings)."""
    from .learn import DataError, evaluate as run_eval, format_table
    from .types import SIGNALS

    if scorecards:
        from .agreement import evaluate_scorecards, format_agreement

        try:
            result = evaluate_scorecards(ratings_dir or str(Path.cwd() / "data" / "ratings"))
        except (DataError, FileNotFoundError) as exc:
            raise UserError(str(exc)) from None
        click.echo(json.dumps(result, ensure_ascii=False, indent=1) if fmt == "json"
                   else format_agreement(result, markdown=fmt == "markdown"))
        return
    if show_errors and show_errors not in SIGNALS:
        raise UserError(f"unknown signal {show_errors!r}; signals: {', '.join(SIGNALS)}")
    try:
        result = run_eval(data_dir or _default_data(), split, langs or ("fa", "en"), models_dir)
    except DataError as exc:
        raise UserError(str(exc)) from None
    if show_errors:
        for lang, errs in result["errors"].items():
            for system, rows in errs.get(show_errors, {}).items():
                click.echo(f"\n== {lang} {show_errors} · {system}: {len(rows)} errors")
                for row in rows:
                    click.echo(f"  {row['kind']}  {row['id']}  gold={','.join(row['labels']) or '-'}\n      {row['text']}")
        return
    result.pop("errors", None)
    click.echo(json.dumps(result, ensure_ascii=False, indent=1) if fmt == "json"
               else format_table(result, markdown=fmt == "markdown"))


# ---- scorecards ----------------------------------------------------------------------------------
@main.group()
def scorecards():
    """List and show the checklists (YAML in scorecards/)."""


@scorecards.command("list")
def scorecards_list():
    """Bundled scorecards with their item counts and maximum."""
    from .score import ScorecardError, available_scorecards, load_scorecard

    for name in available_scorecards():
        try:
            card = load_scorecard(name)
        except ScorecardError as exc:
            raise UserError(str(exc)) from None
        observable = sum(1 for i in card.items if i.observable != "no")
        click.echo(f"{name:<20} {len(card.items):>2} items  /{card.full_max:g}  {observable} observable  {card.title} ({card.source})")


@scorecards.command("show")
@click.argument("name")
def scorecards_show(name):
    """Items of NAME (or a YAML path): labels, observability, signals that raise/lower each item."""
    from .score import ScorecardError, load_scorecard

    try:
        card = load_scorecard(name)
    except ScorecardError as exc:
        raise UserError(str(exc)) from None

    def fx(effects):
        return ", ".join(f"{e.signal}{'+' if e.points >= 0 else ''}{e.points:g}"
                         + (f" after {e.after}" if e.after else "") + (" near end" if e.near_end else "")
                         + (f" without {e.without}" if e.without else "") for e in effects) or "-"

    click.echo(click.style(f"{card.id}: {card.title}", bold=True) + f"  ({card.source}; scale {card.min}-{card.max}, "
               f"neutral {card.neutral:g}, max {card.full_max:g})")
    for item in card.items:
        click.echo(f"\n  {item.id}. {item.label}   [{item.observable}]")
        if item.original:
            click.echo(f"     {item.original}")
        click.echo(f"     raises: {fx(item.raises)}")
        click.echo(f"     lowers: {fx(item.lowers)}")
        if item.expects:
            click.echo(f"     expects: {', '.join(e.signal for e in item.expects)}")
        if item.occasion:
            click.echo(f"     assessable when: {' or '.join(item.occasion)}")
        if item.critical:
            click.echo(f"     critical breach: {', '.join(item.critical)}")
        if item.rationale:
            click.echo(f"     why: {item.rationale}")


# ---- rules ---------------------------------------------------------------------------------------
@main.group()
def rules():
    """List and explain the rules (YAML packs in rules/<lang>/)."""


def _all_rules():
    from .detect.rules import load_rules

    try:
        return load_rules()
    except DataFileError as exc:
        raise UserError(str(exc)) from None


@rules.command("list")
@click.option("--lang", type=click.Choice(["fa", "en"]), help="Only this language.")
@click.option("--signal", help="Only rules for this signal.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules_list(lang, signal, fmt):
    """All rules: id, signal, severity, message."""
    selected = [r for r in _all_rules() if (not lang or r.language == lang) and (not signal or r.signal == signal)]
    if fmt == "json":
        click.echo(json.dumps([{"id": r.id, "signal": r.signal, "severity": r.severity, "language": r.language,
                                "message": r.message, "checklist": r.checklist} for r in selected],
                              ensure_ascii=False, indent=1))
        return
    for r in selected:
        click.echo(f"{r.id:<44} {r.signal:<20} {r.severity:<8} {r.message}")
    click.echo(f"{len(selected)} rules", err=True)


@rules.command("explain")
@click.argument("rule_id")
def rules_explain(rule_id):
    """What RULE_ID flags, why it matters for the checklists, and examples."""
    import difflib

    by_id = {r.id: r for r in _all_rules()}
    rule = by_id.get(rule_id)
    if rule is None:
        close = difflib.get_close_matches(rule_id, list(by_id), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `auditor rules list`"
        raise UserError(f"no rule {rule_id!r}{hint}")
    click.echo(click.style(rule.id, bold=True) + f"  ({rule.signal}, {rule.severity}, {rule.role} turns, {rule.language})")
    click.echo(f"  {rule.message}")
    if rule.why:
        click.echo(f"  Why: {rule.why}")
    if rule.checklist:
        click.echo(f"  Checklist items: {', '.join(rule.checklist)}")
    if rule.suggest:
        click.echo(f"  Instead: {rule.suggest}")
    click.echo("  Flags, e.g.:")
    for text in rule.match[:4]:
        click.echo(f"    ✗ {text}" if rule.severity != "info" else f"    ✓ {text}")
    click.echo("  Does not flag:")
    for text in rule.no_match[:4]:
        click.echo(f"    · {text}")
    # the same signal in the other language, so users see both packs
    twins = [r.id for r in by_id.values() if r.signal == rule.signal and r.language != rule.language]
    if twins:
        click.echo(f"  Same signal in {'Persian' if rule.language == 'en' else 'English'}: {', '.join(twins[:5])}")
    click.echo(f"  Defined at {rule.path}:{rule.line}")


# ---- report (per agent / team) -------------------------------------------------------------------
EPILOG_REPORT = """\b
Examples:
  auditor audit chats.jsonl --format jsonl --scorecard competencies-20 -o audit.jsonl
  auditor report audit.jsonl --by agent
  auditor report audit.jsonl week2.jsonl --by team --teams teams.csv --format markdown -o teams.md
"""


@main.command("report", epilog=EPILOG_REPORT)
@click.argument("audits", nargs=-1, required=True, type=click.Path())
@click.option("--by", type=click.Choice(["agent", "team"]), default="agent", show_default=True, help="Group conversations by agent or by team.")
@click.option("--teams", "teams_path", type=click.Path(dir_okay=False), help="agent→team mapping: CSV (agent,team) or JSON ({agent: team}); else the records' team field.")
@click.option("--scorecard", help="Only this scorecard (its id); default: every scorecard in the input.")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json", "csv", "markdown"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report here instead of stdout.")
@click.option("--color/--no-color", default=None, help="Colour output (default: when writing to a terminal).")
@click.option("--quiet", "-q", is_flag=True, help="No rejections or summary on stderr.")
def report_cmd(audits, by, teams_path, scorecard, fmt, output, color, quiet):
    """Per-agent or per-team feedback from audit results: item means, spread, evidence, weekly trend.

    AUDITS are JSONL files written by `auditor audit ... --format jsonl --scorecard NAME`.
    """
    from .aggregate import AuditFileError, TeamsFileError, aggregate, load_teams, read_audit
    from .report.agents import render

    try:
        teams = load_teams(teams_path) if teams_path else None
    except TeamsFileError as exc:
        raise UserError(str(exc)) from None

    if scorecard and scorecard.endswith((".yaml", ".yml")):   # the file given to `audit`: use its id
        from .score import ScorecardError, load_scorecard

        try:
            scorecard = load_scorecard(scorecard).id
        except ScorecardError as exc:
            raise UserError(str(exc)) from None

    def rejected(rej):
        if not quiet:
            click.echo(f"rejected: {rej}", err=True)

    try:
        result = aggregate(read_audit(audits), by=by, teams=teams, scorecard=scorecard, inputs=audits,
                           on_rejection=rejected)
    except AuditFileError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot read {exc.filename or 'input'}: {exc.strerror or exc}") from None
    if result.conversations == 0:
        raise UserError("no conversations in the input" + (f" ({result.rejected} lines rejected)" if result.rejected else ""))
    if scorecard and scorecard not in result.scorecards_seen:
        raise UserError(f"no scores for scorecard {scorecard!r} in the input; found: "
                        f"{', '.join(sorted(result.scorecards_seen)) or 'none (run audit with --scorecard)'}")
    out = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        render(result.to_dict(), fmt, out, color=(not output and sys.stdout.isatty()) if color is None else color)
    finally:
        if output:
            out.close()
    if not quiet:
        click.echo(result.line(), err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
