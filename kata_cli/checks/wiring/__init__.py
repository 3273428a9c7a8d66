"""Container-manager wiring checks: containerd and CRI-O runtime handlers for Kata.

`containerd` and `crio` read the managers' configuration (bounded, through `Host`);
`units` turns what they found into check results.
"""
