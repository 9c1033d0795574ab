"""Command: `reviewflow verify` — the whole store checked (docs/integrity.md), with an optional anchor.

parse → engine.integrity.verify_store → anchor check and checkpoint → print → exit code. Only click and
commands.common are imported at module level, so `reviewflow --help` never loads the engine.
"""

from __future__ import annotations

import os

import click
from reviewflow.commands.common import db_option, echo_rendered, format_option, progress_bar
from reviewflow.commands.errors import EXIT_PROBLEM
from reviewflow.commands.workspace import processes_option
from reviewflow.engine.render.formats import Output


def register(cli: click.Group) -> None:
    """Add `verify` to the top-level group."""
    cli.add_command(verify_command)


@click.command("verify")
@click.option("--anchor", "anchor", metavar="FILE", default=None,
              help="Check the store against every checkpoint in FILE, then add the current ledger head to it "
                   "(FILE is created if need be). Keep FILE outside the store: a commit, a mail to the Panel.")
@click.option("--check-only", is_flag=True, help="With --anchor: check FILE's checkpoints, add none.")
@format_option(Output.VERIFICATION)
@db_option
@processes_option
def verify_command(anchor: str | None, check_only: bool, output_format: str, db_path: str | None) -> None:
    """Check everything reviewflow prints against what it was derived from: exit 0 when all verifies, 1
    naming each problem (its case, row and kind).

    The database file's own check, every stored definition text against its hash, every case's hash
    chain, the store-wide ledger (a deleted case or a cut-off tail breaks it), and every case row and
    open-deadline row against a fresh fold of the case's events. With --anchor, also the checkpoints of
    FILE: a history rewritten and rehashed inside the store no longer matches them. With REVIEWFLOW_KEY
    set, checkpoints are signed (HMAC-SHA256) and signatures checked; the key never enters the store.
    docs/integrity.md says what each mode detects. A progress bar shows on a terminal.

    \b
    Examples:
      reviewflow verify
      reviewflow verify --anchor anchors/leeds.anchor && git -C anchors commit -am "store checkpoint"
      REVIEWFLOW_KEY=… reviewflow verify --anchor /mnt/panel/leeds.anchor --check-only
    """
    from dataclasses import replace

    from reviewflow.commands.case_common import case_service
    from reviewflow.engine.integrity import verify_store
    from reviewflow.engine.output import append_line, read_text_lines
    from reviewflow.engine.store.anchor import (
        KEY_ENV,
        check_anchor,
        checkpoint_line,
        key_from,
        read_checkpoints,
    )

    if check_only and anchor is None:
        raise click.UsageError("--check-only goes with --anchor FILE")
    key = key_from(os.environ.get(KEY_ENV))
    with case_service(db_path) as svc, progress_bar("verifying") as step:
        verification = verify_store(svc, None, step)
        if anchor is not None:
            lines = read_text_lines(anchor)
            if lines is None and check_only:
                from reviewflow.engine.errors import NotFoundError

                raise NotFoundError(f"there is no anchor file {anchor}",
                                    "write one first: reviewflow verify --anchor FILE (without --check-only)")
            checked = check_anchor(read_checkpoints(lines or [], anchor), svc.store, key, anchor)
            verification = replace(verification, problems=verification.problems + checked.problems,
                                   notes=verification.notes + checked.notes, anchor=anchor,
                                   anchor_checkpoints=checked.checkpoints)
            head = svc.store.ledger_head()
            # Never anchor a store that does not verify: the checkpoint would bless the damage.
            if verification.ok and not check_only and (head.position > checked.last_position or not lines):
                info = svc.store.info()
                append_line(anchor, checkpoint_line(head, info.backend, info.location, verification.cases,
                                                    verification.events, key))
                verification = replace(verification, anchor_written=True)
    # The problems are errors, and errors never go to standard output (docs/json.md); JSON always does.
    echo_rendered(Output.VERIFICATION, output_format, verification,
                  err=output_format != "json" and not verification.ok)
    if not verification.ok:
        raise click.exceptions.Exit(EXIT_PROBLEM)
