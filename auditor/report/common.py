"""What every formatter shares: verdict order (worst first), colours (the run's figures: results.RunSummary)."""

VERDICTS = ["differs", "failed", "unverifiable", "partial", "equivalent", "identical"]

VERDICT_STYLE = {  # rich styles for the terminal
    "identical": "bold green", "equivalent": "green", "partial": "yellow",
    "unverifiable": "magenta", "failed": "red", "differs": "bold red",
}
