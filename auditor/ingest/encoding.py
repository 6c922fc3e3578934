"""Opening input files: refuse binaries, detect non-UTF-8 text (Windows-1256 Persian is common), stream lines.

Files are read line by line (bytes), decoded one line at a time, so a bad byte costs one record, not the
file, and a large file is never held in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

SNIFF_BYTES = 64 * 1024


class FileRefused(Exception):
    """The whole file cannot be read (binary, unknown encoding, unreadable): one clear reason."""


@dataclass
class DecodedFile:
    path: Path
    encoding: str
    note: str | None = None   # e.g. "decoded as windows-1256": shown to the user as a warning

    def lines(self) -> Iterator[tuple[int, str | None, str | None]]:
        """(line number, text without newline or None, error reason or None) for each line."""
        with self.path.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                try:
                    text = raw.decode(self.encoding)
                except UnicodeDecodeError as exc:
                    yield number, None, f"bytes at column {exc.start + 1} are not valid {self.encoding}"
                    continue
                yield number, text.rstrip("\r\n"), None


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        # UTF-16 text has NULs too; it is refused with its own hint below.
        return not (head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff"))
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return len(head) > 0 and control / len(head) > 0.05


def _persian_ratio(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if "\u0600" <= c <= "\u06ff") / len(letters)


def _wordlike(text: str) -> bool:
    """Real text has spaces between words and few symbols; random bytes decoded as cp1256 do not."""
    if not text:
        return False
    spaces = text.count(" ") + text.count("\n")
    symbols = sum(1 for c in text if not (c.isalpha() or c.isspace() or c.isdigit() or c in ".,:;!?؟،\"'()-{}[]"))
    return spaces / len(text) > 0.08 and symbols / len(text) < 0.1


def open_text(path: str | Path) -> DecodedFile:
    """Decide how to decode a file, or raise FileRefused with what to do about it."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise FileRefused(f"cannot read: {exc.strerror or exc}") from None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused("UTF-16 text is not supported; convert it: iconv -f UTF-16 -t UTF-8 IN > OUT")
    if _looks_binary(head):
        raise FileRefused("binary file (not a transcript); skipped")
    try:
        head.decode("utf-8")
        return DecodedFile(path, "utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4 and len(head) == SNIFF_BYTES:
            return DecodedFile(path, "utf-8")   # a multi-byte char cut by the sniff window
    lenient = head.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd")
    if bad <= max(2, len(head) // 500):
        return DecodedFile(path, "utf-8")       # UTF-8 with a few broken lines: those lines are rejected
    # Not UTF-8. Persian files from Windows tools are usually Windows-1256: try it and check it reads
    # as Persian words (letters and spaces), otherwise ask charset-normalizer; refuse if nothing fits.
    decoded = head.decode("cp1256", errors="replace")
    if _persian_ratio(decoded) > 0.5 and _wordlike(decoded):
        return DecodedFile(path, "cp1256", "not UTF-8: decoded as Windows-1256 (Persian)")
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    if best is not None and best.encoding and best.encoding not in ("utf_8",) and best.chaos < 0.2:
        return DecodedFile(path, best.encoding, f"not UTF-8: decoded as {best.encoding}")
    raise FileRefused("not UTF-8 and the encoding could not be detected; convert it, e.g. "
                      "iconv -f WINDOWS-1256 -t UTF-8 IN > OUT")
