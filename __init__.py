"""reviewflow: run England's child safeguarding practice reviews from declarative YAML definitions.

The repository root is this package: `engine/` is `reviewflow.engine` (the library), `commands/` and
`cli.py` the command line, `processes/` and `schemas/` the bundled data. Installed, everything lives
under the one top-level name `reviewflow`.
"""
