"""Times as the index and lock files spell them (ISO 8601, 'Z' or an offset), read one way everywhere."""

from __future__ import annotations

from datetime import datetime, timezone


def parse_time(value: str | None) -> datetime | None:
    """An aware datetime (UTC when the text names no zone), or None for an empty or unreadable value."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
