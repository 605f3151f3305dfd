"""Module and Parameter (being written)."""
