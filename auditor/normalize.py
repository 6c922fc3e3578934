"""Normalization with an offset map back to the original text.

Matching runs on normalized text (hazm for Persian; quotes/apostrophes for English), but every finding
must point into the ORIGINAL turn text. `normalize()` returns a `NormText` whose `to_original()` maps a
normalized character span back.

How the map is built: first a length-preserving character translation (Arabic ي/ك → ی/ک, curly quotes →
ASCII, Arabic-Indic digits → Persian), whose map is the identity; then, for Persian, hazm's `Normalizer`
(spacing, ZWNJ, repeated letters, diacritics), which changes lengths, so its output is aligned to its input
by a linear walk (`_align`), segment by segment (sentences of at most ~1,000 chars).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

ZWNJ = "\u200c"

# Length-preserving, so offsets are unchanged by it.
_COMMON = {
    "\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'",
    "\u201c": '"', "\u201d": '"', "\u201f": '"', "\u00a0": " ", "\u2009": " ", "\u202f": " ",
}
_PERSIAN = {
    "ي": "ی", "ى": "ی", "ك": "ک", "ە": "ه", "ۀ": "هٔ",
    **{chr(0x0660 + i): chr(0x06F0 + i) for i in range(10)},  # Arabic-Indic → Persian digits
}
_PERSIAN = {k: v for k, v in _PERSIAN.items() if len(v) == 1}
_EN_TABLE = str.maketrans(_COMMON)
_FA_TABLE = str.maketrans({**_COMMON, **_PERSIAN})

_DROPPED = set("\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670\u0640\u200d\u200e\u200f\u0654\u0655")
_SEGMENT_MAX = 1000
_SEGMENT_BREAK = re.compile(r"(?<=[.!?؟\n])")


@dataclass
class NormText:
    original: str
    text: str
    starts: list[int]   # for each normalized char: start offset in original
    ends: list[int]     # for each normalized char: end offset in original

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalized [start, end) span to the original text, trimmed of outer whitespace."""
        if end <= start or not self.text:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return pos, pos
        a = self.starts[start]
        b = self.ends[end - 1]
        if b < a:
            b = a
        while a < b and self.original[a].isspace():
            a += 1
        while b > a and self.original[b - 1].isspace():
            b -= 1
        return a, b


@lru_cache(maxsize=1)
def _hazm_normalizer():
    # Built once per process: construction loads word lists (~1.5 s).
    from hazm import Normalizer

    return Normalizer(persian_numbers=False)


def _identity(text: str) -> NormText:
    n = len(text)
    return NormText(text, text, list(range(n)), list(range(1, n + 1)))


def _segments(text: str):
    """Split into pieces at sentence ends, none longer than _SEGMENT_MAX (cut at a space if needed)."""
    for piece in _SEGMENT_BREAK.split(text):
        while len(piece) > _SEGMENT_MAX:
            cut = piece.rfind(" ", 0, _SEGMENT_MAX)
            cut = cut if cut > 0 else _SEGMENT_MAX
            yield piece[:cut]
            piece = piece[cut:]
        if piece:
            yield piece


def _align(src: str, dst: str, base: int, starts: list[int], ends: list[int]) -> None:
    """Append, for each char of dst, its [start, end) in src (offset by base).

    A linear two-pointer walk: hazm's edits are local (spaces collapsed or turned into ZWNJ, ZWNJ
    inserted, diacritics/tatweel/repeated letters/symbols dropped, a char replaced), so at each mismatch
    we try, in order, a 1:1 replacement (the next chars agree again), a deletion from src, or an
    insertion into dst, each confirmed by the two following chars. General diff tools (difflib) pick
    wrong anchors on repetitive text ("سلام  سلام  سلام"); this cannot, and it is O(n).
    """
    if src == dst:
        starts.extend(range(base, base + len(src)))
        ends.extend(range(base + 1, base + len(src) + 1))
        return
    i = j = 0
    n_src, n_dst = len(src), len(dst)

    def agree(a: int, b: int, width: int = 2) -> bool:
        """src[a:] and dst[b:] start alike for `width` chars (spaces hazm removed are skipped)."""
        for _ in range(width):
            if b >= n_dst:
                return True          # dst ends here: whatever src has left was deleted
            if a >= n_src:
                return False
            while a + 1 < n_src and ((src[a].isspace() and not dst[b].isspace() and dst[b] != ZWNJ)
                                     or src[a] in _DROPPED):
                a += 1
            while b + 1 < n_dst and dst[b].isspace() and not src[a].isspace():
                b += 1                 # a space hazm inserted
            if src[a] != dst[b] and not (dst[b] == ZWNJ and src[a] == " "):
                return False
            a += 1
            b += 1
        return True

    while j < n_dst:
        if i >= n_src:                        # trailing insertion
            starts.append(base + n_src)
            ends.append(base + n_src)
            j += 1
            continue
        s, d = src[i], dst[j]
        if s == d or (d == ZWNJ and s == " "):
            starts.append(base + i)
            ends.append(base + i + 1)
            i += 1
            j += 1
            continue
        if d == ZWNJ:                         # hazm inserted a ZWNJ
            starts.append(base + i)
            ends.append(base + i)
            j += 1
            continue
        if s in _DROPPED:                     # diacritics, tatweel, ZWJ, marks: hazm removes them
            i += 1
            continue
        if d.isspace() and not s.isspace() and agree(i, j + 1, 3):
            starts.append(base + i)           # a space inserted (around punctuation, digits)
            ends.append(base + i)
            j += 1
            continue
        deleted = next((k for k in range(1, 9) if agree(i + k, j, 3)), 0)
        if deleted:                           # repeated letters, extra spaces, symbols removed
            i += deleted
            continue
        if d.isspace() or s.isspace():        # a space inserted or removed
            if d.isspace():
                starts.append(base + i)
                ends.append(base + i)
                j += 1
            else:
                i += 1
            continue
        if i + 1 < n_src and j + 1 < n_dst and src[i + 1] == dst[j + 1]:
            starts.append(base + i)           # 1:1 replacement
            ends.append(base + i + 1)
            i += 1
            j += 1
            continue
        inserted = next((k for k in range(1, 9) if agree(i, j + k, 3)), 0)
        if inserted:                          # chars hazm added
            starts.extend([base + i] * inserted)
            ends.extend([base + i] * inserted)
            j += inserted
            continue
        starts.append(base + i)               # nothing lines up nearby: treat as replacement
        ends.append(base + i + 1)
        i += 1
        j += 1


def normalize_persian(text: str) -> NormText:
    translated = text.translate(_FA_TABLE)
    normalizer = _hazm_normalizer()
    out_parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    base = 0
    for seg in _segments(translated):
        # hazm trims outer spaces; keep them so segments stay joined as in the original
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg) - len(seg.rstrip())
        core = seg[lead:len(seg) - trail] if trail else seg[lead:]
        norm = normalizer.normalize(core) if core else ""
        piece = seg[:lead] + norm + (seg[len(seg) - trail:] if trail else "")
        _align(seg, piece, base, starts, ends)
        out_parts.append(piece)
        base += len(seg)
    return NormText(text, "".join(out_parts), starts, ends)


def normalize_english(text: str) -> NormText:
    nt = _identity(text)
    nt.text = text.translate(_EN_TABLE)
    return nt


def normalize(text: str, language: str) -> NormText:
    """Normalize one turn's text for matching, keeping the offset map."""
    if language == "fa":
        return normalize_persian(text)
    return normalize_english(text)


_INVISIBLE = "\ufe0f\ufe0e\u200d\u200c"  # emoji variation selectors, joiners: never a token of their own

# ---- matching keys -------------------------------------------------------------------------------
_KEY_DROP = {ord(c): None for c in (ZWNJ, "\u200d", "\u0654", "\u0640", "\u064b", "\u064c", "\u064d",
                                     "\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u200e", "\u200f")}
_KEY_MAP = str.maketrans({"أ": "ا", "إ": "ا", "ٱ": "ا", "ؤ": "و", "ة": "ه", "ي": "ی", "ك": "ک",
                          **{chr(0x06F0 + i): str(i) for i in range(10)},
                          **{chr(0x0660 + i): str(i) for i in range(10)}})


def persian_key(token_text: str) -> str:
    """The matching key of a Persian token: no ZWNJ/diacritics, unified letters, ASCII digits."""
    return token_text.translate(_KEY_DROP).translate(_KEY_MAP).lower()


# ---- tokenization --------------------------------------------------------------------------------
SENTENCE_END = {".", "!", "?", "؟", "…", "!!", "?!", "؟!"}


def _english_key(doc):
    prev = ""
    for token in doc:
        key = token.norm_.lower()
        if key == "m" and prev == "i":   # "Im" → i + m: spaCy's NORM misses this one
            key = "am"
        token.norm_ = key
        prev = key
    return doc


def _persian_key(doc):
    for token in doc:
        token.norm_ = persian_key(token.text)
    return doc


def _sentences(doc):
    """Sentence starts after . ! ? ؟ … and line breaks: chat turns rarely punctuate reliably."""
    start = True
    for token in doc:
        token.is_sent_start = start
        text = token.text
        start = (token.is_punct and text[-1:] in ".!?؟…") or (token.is_space and "\n" in text)
    return doc


@lru_cache(maxsize=None)
def get_nlp(language: str):
    """A blank spaCy pipeline (no model download) plus our matching-key and sentence components."""
    import spacy
    from spacy.language import Language

    if not Language.has_factory("auditor_key_en"):
        Language.component("auditor_key_en")(_english_key)
        Language.component("auditor_key_fa")(_persian_key)
        Language.component("auditor_sentences")(_sentences)
    nlp = spacy.blank("fa" if language == "fa" else "en")
    nlp.add_pipe("auditor_key_fa" if language == "fa" else "auditor_key_en")
    nlp.add_pipe("auditor_sentences")
    return nlp


def key_tokens(phrase: str, language: str) -> list[str]:
    """The matching keys a phrase (as written in a rule) tokenizes to, after normalization."""
    nlp = get_nlp(language)
    doc = nlp(normalize(phrase, language).text)
    return [t.norm_ for t in doc if not t.is_space and t.text.strip(_INVISIBLE)]
