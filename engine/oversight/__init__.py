"""Learning and improvement: actions, learning outputs, the facts reports count, and cohort import.

Actions and learning outputs are records of definitions of kind `action_plan` and `learning`: streams of
events in the same store as cases (same hash chain, `verify`, `history` and `due` projection), written
through the same `CaseService`. This package adds what those records need beyond a case: the checks of
`action add` and `learning add`, the list views (`actions`, `learning list`), the plain facts a report is
computed from (`facts`), and replaying a cohort of recorded steps (`cohort`). It never prints: long work
reports progress through a callback.
"""
