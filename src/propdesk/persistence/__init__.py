"""How events are stored: database URLs, the eventsourcing application that records them,
the command receipts that make commands idempotent, and the explicit schema step."""
