"""The pure domain: values, commands, the lifecycle table, the repair aggregate, typed errors.

Nothing here reads a clock, touches a database or logs. Time, ids, the organisation and the
rules arrive as arguments.
"""
