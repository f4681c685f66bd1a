"""The run's three caches, in one directory (`--cache-dir`), one module each, below the stages that use them:

- downloads.py: files by sha256 (index downloads, crates, rebuilt wheels), verified before use;
- builds.py: rebuild outcomes by their build inputs (sdist, image, driver, pins, environment, interpreter, timeout);
- verdicts.py: a release's results by every input of its verdict (the auditor's code among them).

They know nothing of the stages: a build job and an HTTP client are what they need of them (protocols)."""
