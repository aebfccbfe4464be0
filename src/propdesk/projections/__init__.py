"""Read models and reports (issue 4): boards, queues, registers, reports, SLA timers.

Empty for now: the write side does not depend on it, and the import contract in
``pyproject.toml`` keeps it that way.
"""
