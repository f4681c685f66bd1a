"""Stage 5 of an audit: compare a published wheel with its rebuild and judge it.

members.py    member-by-member comparison of two wheels
sources.py    the sdist's side: the sources check, and module names the sdist holds sources for
metadata.py   METADATA, WHEEL and entry points compared by meaning
rules.py      every normalization and accepted tool step, with its reason
findings.py   one finding per distinct difference of a release
normalize.py  normalized copies for diffoscope (exactly the comparer's named normalizations)
verdicts.py   a comparison -> the wheel's WheelJudgement (auditor/judgement.py: verdict, what was said, differences)
release.py    judge_release: the builds of a release, scored; the follow-up passes make new judgements; each
              wheel's judgement written once (WheelResult.judged); then diffoscope
attempts.py   one configuration's builds and each wheel's best judgement so far
"""
