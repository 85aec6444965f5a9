"""The one error type of the data loader: where (file, line) and what, as a single line."""

from __future__ import annotations


class DataError(Exception):
    """A problem in the dataset's files, printed by the CLI as `file:line: message` (exit 2).

    `file` is the base name ("ratings.dat") and `line` is 1-based, or None for whole-file problems
    (missing, empty, not a zip), so the person fixing it can jump straight to the spot.
    """

    def __init__(self, file: str, line: int | None, message: str) -> None:
        super().__init__(file, line, message)
        self.file = file
        self.line = line
        self.message = message

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"
