"""reviewflow: run England's child safeguarding practice reviews from declarative YAML definitions.

The repository root is this package: `engine/` is `reviewflow.engine` (the library), `commands/` and
`cli.py` the command line, `processes/` and `schemas/` the bundled data. Installed, everything lives
under the one top-level name `reviewflow`.
"""

# The same as the distribution's version in pyproject.toml (tests/test_packaging.py holds them together):
# `reviewflow --version` reads it here, because asking importlib.metadata costs a fifth of start-up.
__version__ = "0.2.0"
