"""What every formatter shares: verdict order (worst first), colours, the rebuilt-here line."""

from auditor.results import rebuilt

VERDICTS = ["differs", "failed", "unverifiable", "partial", "equivalent", "identical"]

VERDICT_STYLE = {  # rich styles for the terminal
    "identical": "bold green", "equivalent": "green", "partial": "yellow",
    "unverifiable": "magenta", "failed": "red", "differs": "bold red",
}


def rebuilt_line(data: dict) -> str:
    """"rebuilt here: 12 of 15 releases (140 of 150 wheels compared with a rebuild)": beside the verdicts,
    so nobody has to infer which releases a `failed` or `differs` was rebuilt for."""
    r = data.get("rebuilt") or rebuilt(data.get("packages", []))
    return (f"rebuilt here: {r['releases']} of {r['of']} releases ({r['wheels']} of {r['wheels_of']} wheels compared "
            "with a rebuild; the rest got the sources check at best)")
