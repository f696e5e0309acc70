"""CSV that is safe to open in a spreadsheet (OWASP "CSV injection").

Names, notes and addresses come from shoppers and guests; a cell starting with `=`, `+`, `-`,
`@`, a tab or a line break is run as a formula by Excel, LibreOffice and Sheets
(`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`). Every CSV Omnistore writes goes through `csv_writer`,
which prefixes such text cells with `'` (shown as text, not run). Cells of digits, spaces and
`+-()./,` only (amounts like `-5.00`, phones like `+44 20 7946 0000`) are left as they are: with no
letter, `|` or `!` they can name no function, cell or program. Imports refuse such cells
(`formula_cell`), so they are not stored to come back out later.
"""

import csv
import re

from django.utils.translation import gettext as _

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER_LIKE = re.compile(r"^[\d\s()+\-./,]+$")


def is_formula(value) -> bool:
    """True for text a spreadsheet would run as a formula (plain numbers are not)."""
    if not isinstance(value, str) or not value:
        return False
    stripped = value.lstrip(" ")
    return stripped[:1] in TRIGGERS and not _NUMBER_LIKE.match(stripped)


def safe_cell(value):
    """The value as a spreadsheet shows it without running it."""
    return f"'{value}" if is_formula(value) else value


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(stream, **kwargs) -> _SafeWriter:
    """csv.writer whose every cell goes through safe_cell."""
    return _SafeWriter(csv.writer(stream, **kwargs))


def formula_cell(row: dict) -> str | None:
    """The first column of an imported row whose cell would run as a formula, else None."""
    return next((column for column, value in row.items() if is_formula(value)), None)


class LineError(str):
    """A problem an import reports about one line of its file, worded in the active language
    ("line 12: ...", "riga 12: ..."); `line` keeps the number for sorting and grouping."""

    line: int | None = None


def line_error(line: int, message: str) -> LineError:
    """The one "line N: message" of every importer, in the language of whoever runs the import."""
    error = LineError(_("line %(line)s: %(message)s") % {"line": line, "message": message})
    error.line = line
    return error


def formula_error(column: str) -> str:
    """Why an imported cell is refused (see formula_cell), in the active language."""
    return _(
        "%(column)s starts with =, +, -, or @: a spreadsheet would run it as a formula. Remove that character."
    ) % {"column": column}
