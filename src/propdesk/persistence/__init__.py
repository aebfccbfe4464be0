"""How events are stored.

Database URLs, the eventsourcing application that records events, the command receipts
that make commands idempotent, and the explicit schema step.
"""
