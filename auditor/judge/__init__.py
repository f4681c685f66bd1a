"""Stage 5 of an audit: compare a published wheel with its rebuild and judge it.

members.py    member-by-member comparison of two wheels (and of a wheel with the sdist's sources)
normalize.py  normalized copies for diffoscope (exactly the comparer's named normalizations)
verdicts.py   a comparison -> the wheel's verdict, one-line reason and listed differences
"""
