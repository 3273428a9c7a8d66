"""`config lint`: a linter for Kata configuration files.

`source` reads a file into text, parse result and key positions; `context` merges a
configuration's files and answers the rules' questions; `rules/` holds one module per
rule family; `registry` lists every rule; `engine` runs them and turns hits into
findings; `fix` applies mechanical fixes. Rendering lives in `kata_cli.render`.
"""
