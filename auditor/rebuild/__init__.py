"""Stage 4 of an audit: builds. One build of a plan in the sandbox (build.py: its inputs fetched and verified,
its requirements resolved, the build cache), which plan to build next when one fails (retry.py), one-line
causes of failed builds (failures.py). Comparing and scoring the builds is the judge's (judge/release.py).
"""

from auditor.rebuild.build import rebuild

__all__ = ["rebuild"]
