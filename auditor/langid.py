"""Language detection by script, per turn and per conversation.

Support text is short and mixed (order codes, product names), so a statistical model buys little over
counting letters: Arabic-script letters mean Persian here, Latin letters mean English. Persian is told
from Arabic by letters Arabic lacks (پ چ ژ گ, Persian ی/ک); text with only Arabic-specific letters
(ة ي ك ى) and none of those is reported as "ar" (unsupported) rather than guessed.
"""

from __future__ import annotations

from collections import Counter

PERSIAN_ONLY = set("پچژگیک")
ARABIC_ONLY = set("ةيكىإأ")


# Function words that tell the two apart when only shared letters are used (ي/ك typed in Persian).
PERSIAN_WORDS = {"می", "مي", "است", "را", "رو", "که", "كه", "این", "اين", "از", "به", "با", "شما", "ما", "هست",
                 "نیست", "نيست", "خیلی", "خيلي", "ممنون", "براي", "برای", "تا", "هم", "یا", "يا", "چی", "چه"}
ARABIC_WORDS = {"في", "على", "هذا", "هذه", "التي", "الذي", "كيف", "إلى", "الى", "عن", "مع", "لا", "يمكن",
                "يمكنني", "هل", "ماذا", "لم", "لن", "كان", "أن", "إن", "شكرا"}


def _arabic_cues(text: str) -> tuple[int, int]:
    words = text.split()
    persian = sum(1 for w in words if w in PERSIAN_WORDS or w.startswith(("مي", "می", "نمي", "نمی")))
    arabic = sum(1 for w in words if w in ARABIC_WORDS or (w.startswith("ال") and len(w) > 3))
    return persian, arabic


def _is_arabic_script(ch: str) -> bool:
    o = ord(ch)
    return 0x0600 <= o <= 0x06FF or 0x0750 <= o <= 0x077F or 0xFB50 <= o <= 0xFDFF or 0xFE70 <= o <= 0xFEFF


def letter_counts(text: str) -> tuple[int, int, int, int]:
    """(arabic-script letters, latin letters, persian-only letters, arabic-only letters)."""
    arabic = latin = persian_only = arabic_only = 0
    for ch in text:
        if ch.isalpha():
            if _is_arabic_script(ch):
                arabic += 1
                if ch in PERSIAN_ONLY:
                    persian_only += 1
                elif ch in ARABIC_ONLY:
                    arabic_only += 1
            elif ch.isascii():
                latin += 1
    return arabic, latin, persian_only, arabic_only


def detect(text: str, default: str | None = None) -> str | None:
    """'fa', 'en', 'ar' or `default` when the text has no letters."""
    arabic, latin, persian_only, arabic_only = letter_counts(text)
    if arabic == 0 and latin == 0:
        return default
    if arabic >= latin:
        # Arabic ي/ك are common typos in Persian: only call it Arabic if nothing Persian is there.
        if persian_only == 0 and arabic_only > 0:
            persian_cues, arabic_cues = _arabic_cues(text)
            if arabic_cues > persian_cues:
                return "ar"
        return "fa"
    return "en"


def detect_conversation(texts: list[str], default: str = "en") -> str:
    """Majority language by letters over all turns."""
    totals: Counter[str] = Counter()
    for text in texts:
        arabic, latin, _, _ = letter_counts(text)
        totals["fa"] += arabic
        totals["en"] += latin
    if not totals or max(totals.values()) == 0:
        return default
    if totals["fa"] >= totals["en"]:
        joined = " ".join(texts)
        return detect(joined, default) or default
    return "en"
