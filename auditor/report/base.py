"""The formatter interface: begin → result/rejection per item, in input order → end(summary)."""

from __future__ import annotations

from typing import TextIO


class Formatter:
    name = "base"

    def __init__(self, out: TextIO, color: bool = False, **options):
        self.out = out
        self.color = color
        self.options = options

    def begin(self) -> None:
        pass

    def result(self, result) -> None:
        raise NotImplementedError

    def rejection(self, rejection) -> None:
        pass

    def end(self, summary) -> None:
        pass
