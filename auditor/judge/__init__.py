"""Stage 5 of an audit: compare a published wheel with its rebuild (or, nothing rebuilt, with the sdist) and judge it.

Driving the builds of a release (the only modules here that build):
release.py     judge_release: the builds of a release, scored; the follow-up passes make new judgements; each
               wheel's judgement written once (WheelResult.judged); then diffoscope
attempts.py    one configuration's builds and each wheel's best judgement so far
search.py      the toolchain search's driver (the publisher's backend version, era retries)
diffoscope.py  diffoscope's pages, kept by their inputs

Comparing (read files, build nothing):
members.py     member-by-member comparison of two wheels (a rebuild here; another platform's wheel)
diffs.py       member primitives: what is compiled, a difference in a few lines, the read bound (not_read)
profiles.py    which rules a member goes through, in order: profiles as data, run by one loop (apply)
checks.py      the check of each rule a profile lists (check(case) -> bool, named after its rule)
steps.py       named per-member rules (moved licenses, namespace .pth, RECORD, delvewheel)
metasteps.py   METADATA, WHEEL and entry points by meaning, and their rules
metadata.py    parsing and comparing METADATA, WHEEL, entry points
generated.py   files a build generates (version files, checksum files)
configured.py  members the build derives from the sdist (configured files, appended licenses, bytecode)
rules.py       the recognizers behind the named tool steps and classes of members
sources.py     the sources check (nothing rebuilt): each member against the sdist's file at its place
placement.py   where a backend installs each file from (package roots, declared scripts and data files)
unbuilt.py     dist-info of a wheel not rebuilt against what the sdist declares (declared.py reads it)
elf.py         a compiled member's interface, kept by content, and the libraries around it
elfload.py     an ELF file read as the dynamic loader reads it (program headers, dynamic table)
interface.py   a compiled member's interface against the rebuild's, under the toolchain rules
verdicts.py    a comparison -> the wheel's WheelJudgement (auditor/judgement.py: verdict, reason, differences)
findings.py    one finding per distinct difference of a release
normalize.py   normalized copies for diffoscope (exactly the comparer's named normalizations)

The rulebook:
registry.py    every rule (normalization, tool step, cause, source rule) with its reason, the release that taught
               it and what it never excuses; rulesdoc.py writes docs/rules.md from it
classes.toml   the one class table (code, metadata, packaging) every path reads, through classes.py
"""
