"""The command line: the typer app (main.py), a run from settings to results (execute.py), the consoles and the
one-line error (console.py), and what a finished run writes and prints besides results.json (outputs.py)."""

from auditor.cli.main import app, main

__all__ = ["app", "main"]
