"""The only code that writes results: one module per format."""
