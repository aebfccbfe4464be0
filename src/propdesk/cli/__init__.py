"""The ``propdesk`` command line: the demo simulation, audit histories, ``db init``, the lifecycle.

The entry point is :func:`propdesk.cli.main.main` (the ``propdesk`` console script).
"""
