"""One adapter per input shape, each a generator of Conversation | Rejection | Notice.

All read through `DecodedFile.lines()` so they stream and report bad bytes per line.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from typing import Any, Iterator

from ..types import Conversation, Rejection, Turn
from .encoding import DecodedFile
from .records import MAX_TURN_CHARS, RecordError, canonical_role, make_conversation, make_turn


@dataclass
class Notice:
    """Something the user should know that is not a rejection (e.g. a file decoded as Windows-1256)."""

    source: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}" if self.line else f"{self.source}: {self.message}"


Item = Conversation | Rejection | Notice


# ---- JSONL (canonical) ---------------------------------------------------------------------------
def read_jsonl(f: DecodedFile, max_chars: int = MAX_TURN_CHARS) -> Iterator[Item]:
    source = str(f.path)
    for number, text, error in f.lines():
        if error:
            yield Rejection(source, number, error)
            continue
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Rejection(source, number, f"invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        try:
            yield make_conversation(obj, source, number, max_chars)
        except RecordError as exc:
            yield Rejection(source, number, str(exc))


# ---- JSON documents: canonical lists and helpdesk exports ----------------------------------------
def _twitter_care(obj: dict) -> dict:
    """IBM customer-care Twitter format: dialogContent [{client|agent: handle, message}] + final reply."""
    turns = []
    for entry in obj.get("dialogContent", []):
        role = "agent" if "agent" in entry else "customer"
        turns.append({"role": role, "text": entry.get("message"), "ts": entry.get("datetime"),
                      "speaker": entry.get("agent") or entry.get("client")})
    final = (obj.get("agentURL") or {}).get("url_utterance")
    if final and not any(t["text"] == final for t in turns):
        turns.append({"role": "agent", "text": final})
    header = obj.get("dialogHeader", {})
    return {"id": header.get("sessionID") or header.get("id"), "agent": header.get("company"),
            "channel": "twitter", "turns": turns}


_MESSAGE_LISTS = ("messages", "comments", "conversation_parts", "parts", "thread")


def _generic_helpdesk(obj: dict) -> dict | None:
    """Ticket exports with a list of messages that each name their author's type (Zendesk/Intercom-like)."""
    for key in _MESSAGE_LISTS:
        messages = obj.get(key)
        if isinstance(messages, dict):  # Intercom nests: {"conversation_parts": {"conversation_parts": [...]}}
            messages = messages.get(key)
        if isinstance(messages, list):
            break
    else:
        return None
    turns = []
    for m in messages:
        if not isinstance(m, dict):
            turns.append(m)
            continue
        author = m.get("author") if isinstance(m.get("author"), dict) else {}
        role_value = (m.get("role") or m.get("author_type") or m.get("sender_type") or author.get("type")
                      or author.get("role") or m.get("from"))
        text = m.get("text") or m.get("body") or m.get("plain_body") or m.get("message")
        if isinstance(text, str):
            text = re.sub(r"<[^<>]{0,200}>", " ", text) if "<" in text else text
        turns.append({"role": canonical_role(role_value) or role_value, "text": text,
                      "ts": m.get("ts") or m.get("created_at"), "speaker": author.get("name")})
    return {"id": obj.get("id") or obj.get("ticket_id"), "agent": obj.get("agent") or obj.get("assignee"),
            "team": obj.get("team") or obj.get("group"), "channel": obj.get("channel") or obj.get("via"),
            "turns": turns}


def _to_canonical(obj: Any) -> Any:
    if isinstance(obj, dict) and "turns" not in obj:
        if "dialogContent" in obj:
            return _twitter_care(obj)
        generic = _generic_helpdesk(obj)
        if generic is not None:
            return generic
    return obj


def read_json(f: DecodedFile, max_chars: int = MAX_TURN_CHARS) -> Iterator[Item]:
    """A JSON document: one conversation, a list of them, or {"conversations"|"tickets"|...: [...]}."""
    source = str(f.path)
    chunks = []
    for number, text, error in f.lines():
        if error:
            yield Rejection(source, number, error)
            return
        chunks.append(text)
    try:
        doc = json.loads("\n".join(chunks))
    except json.JSONDecodeError as exc:
        yield Rejection(source, exc.lineno, f"invalid JSON: {exc.msg} at column {exc.colno}")
        return
    if isinstance(doc, dict):
        for key in ("conversations", "tickets", "chats", "data", "items"):
            if isinstance(doc.get(key), list):
                doc = doc[key]
                break
        else:
            doc = [doc]
    if not isinstance(doc, list):
        yield Rejection(source, 1, "expected a conversation, a list of conversations or a helpdesk export")
        return
    for i, obj in enumerate(doc):
        try:
            conv = make_conversation(_to_canonical(obj), source, None, max_chars)
            conv.extra.setdefault("record", i)
            yield conv
        except RecordError as exc:
            yield Rejection(source, None, f"record {i}: {exc}")


# ---- CSV: one row per turn -----------------------------------------------------------------------
COLUMN_ALIASES = {
    "conversation": ("conversation_id", "conversation", "conv_id", "ticket_id", "ticket", "thread_id",
                     "chat_id", "session_id", "id"),
    "role": ("role", "speaker_role", "author_type", "sender_type", "sender", "from", "speaker", "author"),
    "text": ("text", "message", "body", "content", "comment", "utterance"),
    "agent": ("agent", "agent_name", "agent_id", "assignee"),
    "team": ("team", "group"),
    "ts": ("ts", "timestamp", "time", "created_at", "datetime", "date"),
    "language": ("language", "lang"),
}


def _columns(header: list[str]) -> dict[str, int]:
    lowered = [h.strip().lower().lstrip("\ufeff") for h in header]
    found = {}
    for name, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in lowered:
                found[name] = lowered.index(alias)
                break
    return found


def read_csv(f: DecodedFile, max_chars: int = MAX_TURN_CHARS) -> Iterator[Item]:
    source = str(f.path)
    line_numbers: list[int] = []

    def clean_lines():
        for number, text, error in f.lines():
            if error:
                bad.append(Rejection(source, number, error))
                continue
            line_numbers.append(number)
            yield text + "\n"

    bad: list[Rejection] = []
    delimiter = "\t" if f.path.suffix.lower() == ".tsv" else ","
    reader = csv.reader(clean_lines(), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        yield from bad
        return
    cols = _columns(header)
    missing = [c for c in ("conversation", "role", "text") if c not in cols]
    if missing:
        yield from bad
        yield Rejection(source, 1, f"CSV header lacks {', '.join(missing)} column(s); found {header}. Expected e.g. "
                                   "conversation_id,role,text[,agent,ts]")
        return
    current: Conversation | None = None
    seen: set[str] = set()

    def value(row, name):
        i = cols.get(name)
        return row[i].strip() if i is not None and i < len(row) and row[i].strip() else None

    consumed = reader.line_num
    for row in reader:
        yield from bad
        bad.clear()
        number = line_numbers[consumed] if consumed < len(line_numbers) else reader.line_num
        consumed = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        conv_id = value(row, "conversation")
        if conv_id is None:
            yield Rejection(source, number, "row has no conversation id")
            continue
        try:
            turn = make_turn({"role": value(row, "role"), "text": row[cols["text"]] if cols["text"] < len(row) else None,
                              "ts": value(row, "ts")}, len(current.turns) if current and current.id == conv_id else 0,
                             max_chars)
        except RecordError as exc:
            yield Rejection(source, number, f"conversation {conv_id}: {exc}")
            continue
        turn.line = number
        if current is None or current.id != conv_id:
            if current is not None:
                yield current
            if conv_id in seen:
                yield Notice(source, number, f"conversation {conv_id} continues after other conversations; "
                                             "rows are read in order, so it is audited as a separate part (sort the CSV)")
            seen.add(conv_id)
            current = Conversation(id=conv_id, turns=[], agent=value(row, "agent"), team=value(row, "team"),
                                   language=value(row, "language") if value(row, "language") in ("fa", "en") else None,
                                   source=source, line=number)
        if current.agent is None and turn.role == "agent":
            current.agent = value(row, "agent")
        current.turns.append(turn)
    yield from bad
    if current is not None:
        yield current


# ---- plain-text transcripts ----------------------------------------------------------------------
AGENT_PREFIXES = ("agent", "operator", "support", "rep", "advisor", "اپراتور", "پشتیبان", "کارشناس")
CUSTOMER_PREFIXES = ("customer", "client", "user", "مشتری", "کاربر")
_PREFIX_WORDS = "|".join(AGENT_PREFIXES + CUSTOMER_PREFIXES)
# Linear-time: bounded, non-nested groups. "[10:02] Agent (Sara): text"
SPEAKER_RE = re.compile(
    r"^\s{0,8}(?:\[[^\]\n]{1,40}\]\s{0,4})?(" + _PREFIX_WORDS + r")(?:\s{0,4}\(([^()\n]{1,60})\))?\s{0,4}[:：]\s?",
    re.IGNORECASE,
)
HEADER_RE = re.compile(r"^#\s{0,4}id:\s{0,4}(\S{1,200})(?:\s{1,8}agent:\s{0,4}(\S{1,100}))?\s*$")


def speaker_of(line: str) -> tuple[str, str | None, int] | None:
    """(role, speaker name, where the text starts) when the line opens with a speaker prefix."""
    m = SPEAKER_RE.match(line)
    if not m:
        return None
    word = m.group(1).lower()
    role = "agent" if word in AGENT_PREFIXES else "customer"
    return role, m.group(2), m.end()


def looks_like_transcript(f: DecodedFile, sample_lines: int = 60) -> bool:
    hits = total = 0
    for _, text, _ in f.lines():
        if text is None or not text.strip() or text.strip() == "---" or text.startswith("#"):
            continue
        total += 1
        hits += speaker_of(text) is not None
        if total >= sample_lines:
            break
    return total > 0 and hits / total >= 0.5


def read_transcript(f: DecodedFile, max_chars: int = MAX_TURN_CHARS) -> Iterator[Item]:
    """`Agent:`/`Customer:` (or «اپراتور:»/«مشتری:») lines; `---` (or, if the file has no `---`, a blank
    line) separates conversations; a line without a prefix continues the previous turn."""
    source = str(f.path)
    uses_dashes = any(t is not None and t.strip() == "---" for _, t, _ in f.lines())
    conv_meta: dict[str, Any] = {}
    turns: list[Turn] = []
    start_line = None
    problems: list[str] = []

    def flush():
        nonlocal turns, conv_meta, start_line, problems
        item = None
        if problems:
            item = Rejection(source, start_line, "; ".join(problems))
        elif turns:
            conv_id = conv_meta.get("id") or f"{f.path.name}:{start_line}"
            item = Conversation(id=conv_id, turns=turns, agent=conv_meta.get("agent"), source=source, line=start_line)
        turns, conv_meta, start_line, problems = [], {}, None, []
        return item

    for number, text, error in f.lines():
        if error:
            problems.append(f"line {number}: {error}")
            start_line = start_line or number
            continue
        stripped = text.strip()
        if stripped == "---" or (not stripped and not uses_dashes):
            item = flush()
            if item:
                yield item
            continue
        if not stripped:
            continue
        header = HEADER_RE.match(stripped)
        if header and not turns:
            conv_meta = {"id": header.group(1), "agent": header.group(2)}
            start_line = start_line or number
            continue
        speaker = speaker_of(text)
        start_line = start_line or number
        if speaker:
            role, name, offset = speaker
            body = text[offset:]
            if not body.strip():
                problems.append(f"line {number}: turn has no text")
                continue
            if len(body) > max_chars:
                problems.append(f"line {number}: {len(body):,} characters, over the {max_chars:,} limit")
                continue
            turns.append(Turn(role=role, text=body, speaker=name, line=number, column=offset + 1))
        elif turns:
            turns[-1].text += "\n" + text
        else:
            problems.append(f"line {number}: text before any speaker prefix (Agent:/Customer:/اپراتور:/مشتری:)")
    item = flush()
    if item:
        yield item


# ---- canned responses: one message per line ------------------------------------------------------
DISABLE_RE = re.compile(r"(?:#|<!--)\s{0,4}auditor:\s{0,4}disable=([A-Za-z0-9_.,\- ]{1,300}?)\s*(?:-->)?\s*$")


def read_canned(f: DecodedFile, max_chars: int = MAX_TURN_CHARS) -> Iterator[Item]:
    """Each non-blank line is one agent message (id = file:line). `# auditor: disable=RULE[,RULE]` (or
    `<!-- auditor: disable=RULE -->`) at the end of a line, or alone on the line before, suppresses rules."""
    source = str(f.path)
    pending: set[str] = set()
    for number, text, error in f.lines():
        if error:
            yield Rejection(source, number, error)
            continue
        directive = DISABLE_RE.search(text)
        disabled = set()
        if directive:
            disabled = {code.strip() for code in directive.group(1).split(",") if code.strip()}
            text = text[:directive.start()]
        body = text.strip()
        if not body:
            pending |= disabled        # a directive alone on its line applies to the next message
            continue
        if body.startswith("#") or body.startswith("<!--"):
            continue                   # comments and headings in macro files
        if len(body) > max_chars:
            yield Rejection(source, number, f"{len(body):,} characters, over the {max_chars:,} limit")
            continue
        column = len(text) - len(text.lstrip()) + 1
        conv = Conversation(id=f"{f.path.name}:{number}", source=source, line=number,
                            turns=[Turn(role="agent", text=body, line=number, column=column)], channel="canned")
        if disabled | pending:
            conv.suppressed[0] = disabled | pending
        pending = set()
        yield conv
