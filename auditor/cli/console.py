"""The two consoles of the command line, and the one-line error every user-fixable problem prints."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.text import Text

from auditor.results import EXIT_USAGE

err = Console(stderr=True)
out = Console() if Console().is_terminal else Console(width=160)  # logs and CI get full-width tables

def error_line(message: str) -> None:
    """One error, one line, whatever the terminal's width (grep and CI annotations see it whole); the
    message is plain text, never markup (a requirement like `pkg[extra]` stays as written)."""
    err.print(Text("auditor:", style="bold red"), Text(message), soft_wrap=True, highlight=False)


def fail(message: str, code: int = EXIT_USAGE) -> None:
    error_line(message)
    raise typer.Exit(code)
