from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class CsvImportCommand(BaseCommand):
    """Reads FILE.csv (UTF-8), runs `importer(text=..., dry_run=...)`, prints the report."""

    importer = None

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file with a header row (UTF-8).")
        parser.add_argument("--dry-run", action="store_true", help="Only validate; write nothing.")

    def importer_options(self, options: dict) -> dict:
        return {}

    def handle(self, *args, file: Path, dry_run: bool, **options):
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from None
        report = type(self).importer(text=text, dry_run=dry_run, **self.importer_options(options))
        if report.errors:
            for error in report.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(report.errors)} error(s) in {file}; nothing was imported.")
        if getattr(report, "delimiter", ",") != ",":
            self.stdout.write(f"Read as a {report.delimiter_name} file.")
        for line in getattr(report, "lines", []) if dry_run else []:  # what the check found each line would do
            if line.action != "unchanged":
                self.stdout.write(f"line {line.line}: {line.sku} {line.action}  {'; '.join(line.changes)}".rstrip())
        for name in getattr(report, "new_categories", []):
            self.stdout.write(f"new category: {name}")
        if dry_run and getattr(report, "lines", None):
            summary = (
                f"Checked {report.rows} row(s): {report.created} would be created, {report.updated} updated, "
                f"{report.unchanged} left unchanged. Nothing was written."
            )
        elif dry_run:
            summary = f"Checked {report.rows} row(s): no problems found. Nothing was written."
        else:
            summary = (
                f"Imported {report.rows} row(s): {report.created} created, {report.updated} updated, "
                f"{report.unchanged} unchanged."
            )
        self.stdout.write(self.style.SUCCESS(summary))
