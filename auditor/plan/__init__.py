"""Stage 3 of an audit: decide, before anything runs, how each published wheel is rebuilt.

config.py   one wheel's build plan: backend pinned from Generator, requirements, timestamp policy
groups.py   wheels grouped by build configuration (one rebuild per group)
"""
