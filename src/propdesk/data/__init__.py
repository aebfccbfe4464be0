"""Data shipped with propdesk: the sample estate's organisation."""
