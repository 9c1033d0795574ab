"""Regenerate the lint code table of docs/lint-codes.md from engine.lint (run after adding a rule).

    .venv/bin/python scripts/gen_lint_docs.py          # rewrite the generated section
    .venv/bin/python scripts/gen_lint_docs.py --check  # exit 1 when the file is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.lint.docs import splice  # noqa: E402

DOC = Path(__file__).resolve().parent.parent / "docs" / "lint-codes.md"


def main(argv: list[str]) -> int:
    current = DOC.read_text(encoding="utf-8")
    fresh = splice(current)
    if "--check" in argv:
        if fresh != current:
            print(f"{DOC} is out of date: run python scripts/gen_lint_docs.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
