"""A partnership's workspace: its own repository of definitions, scenarios and checks.

`scaffold` writes a new partnership's definition and starter scenario, `files` the repository files around
them (README for the business unit, vendored schemas, pre-commit and CI), `copy` a bundled definition to
adapt. Every writer refuses to overwrite.
"""
