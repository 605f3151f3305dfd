"""Side-by-side benchmarks of glassnet and PyTorch (run with `make bench`)."""
