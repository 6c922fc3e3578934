"""Building canonical Conversations from loosely shaped records, with a reason when that fails."""

from __future__ import annotations

from typing import Any

from ..types import ROLES, Conversation, Turn

MAX_TURN_CHARS = 100_000

# Role names seen in exports, mapped onto the canonical three.
ROLE_ALIASES = {
    "agent": "agent", "operator": "agent", "support": "agent", "staff": "agent", "admin": "agent",
    "assistant": "agent", "rep": "agent", "representative": "agent", "advisor": "agent",
    "اپراتور": "agent", "پشتیبان": "agent", "کارشناس": "agent",
    "customer": "customer", "user": "customer", "client": "customer", "end-user": "customer",
    "end_user": "customer", "requester": "customer", "contact": "customer", "visitor": "customer",
    "مشتری": "customer", "کاربر": "customer",
    "system": "system", "bot": "system", "action": "system", "note": "system",
}
KNOWN_FIELDS = {"id", "turns", "agent", "team", "channel", "language"}


class RecordError(ValueError):
    """Why one record cannot be read (becomes a Rejection with source and line)."""


def canonical_role(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return ROLE_ALIASES.get(value.strip().lower())


def make_turn(raw: Any, index: int, max_chars: int = MAX_TURN_CHARS) -> Turn:
    if not isinstance(raw, dict):
        raise RecordError(f"turn {index}: expected an object with role and text")
    role = canonical_role(raw.get("role"))
    if role is None:
        if "role" not in raw:
            raise RecordError(f"turn {index}: missing 'role'")
        raise RecordError(f"turn {index}: unknown role {raw.get('role')!r} (expected {', '.join(ROLES)})")
    text = raw.get("text")
    if not isinstance(text, str):
        raise RecordError(f"turn {index}: missing 'text'" if text is None else f"turn {index}: 'text' must be a string")
    if not text.strip():
        raise RecordError(f"turn {index}: empty text")
    if len(text) > max_chars:
        raise RecordError(f"turn {index}: {len(text):,} characters, over the {max_chars:,} limit (a pasted log or "
                          "file?); split it or raise --max-turn-chars")
    extra = {k: v for k, v in raw.items() if k not in ("role", "text", "ts", "speaker", "language")}
    ts = raw.get("ts")
    return Turn(role=role, text=text, ts=str(ts) if ts is not None else None,
                speaker=raw.get("speaker"), extra=extra)


def make_conversation(obj: Any, source: str, line: int | None, max_chars: int = MAX_TURN_CHARS) -> Conversation:
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object, got {type(obj).__name__}")
    if "id" not in obj or obj["id"] in (None, ""):
        raise RecordError("missing 'id'")
    if "turns" not in obj:
        raise RecordError("missing 'turns'")
    turns_raw = obj["turns"]
    if not isinstance(turns_raw, list) or not turns_raw:
        raise RecordError("'turns' must be a non-empty list")
    turns = [make_turn(t, i, max_chars) for i, t in enumerate(turns_raw)]
    language = obj.get("language")
    if language not in (None, "fa", "en"):
        raise RecordError(f"language {language!r} is not supported (fa or en, or leave it out to detect)")
    extra = {k: v for k, v in obj.items() if k not in KNOWN_FIELDS}
    return Conversation(id=str(obj["id"]), turns=turns, agent=_opt_str(obj.get("agent")),
                        team=_opt_str(obj.get("team")), channel=_opt_str(obj.get("channel")),
                        language=language, source=source, line=line, extra=extra)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
