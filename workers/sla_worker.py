#!/usr/bin/env python3
"""The SLA worker as a script: the same as ``propdesk worker`` (pass the same options).

For example ``python workers/sla_worker.py --env-file /etc/propdesk/worker.env``, or
``python workers/sla_worker.py --once --db sqlite:///propdesk.db`` for one tick.
"""

from __future__ import annotations

import sys

from propdesk.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["worker", *sys.argv[1:]]))
