"""The lab's experiments, one module per group of lectures (see glassnet/lab/runner.py)."""
