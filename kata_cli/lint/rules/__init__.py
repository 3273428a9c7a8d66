"""Lint rules, one module per family; `kata_cli.lint.registry` lists them all."""
