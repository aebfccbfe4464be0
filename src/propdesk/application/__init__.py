"""The write side other services import: the desk, its clock, and what it answers."""
