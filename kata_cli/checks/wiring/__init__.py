"""Container-manager wiring checks: containerd (standalone, or embedded by k3s and RKE2)
and CRI-O runtime handlers for Kata.

`containerd`, `rancher` (k3s's and RKE2's files and templates) and `crio` read the
managers' configuration (bounded, through `Host`); `units` (the catalogue and the run),
`containerd_units` and `handlers` turn what they found into check results.
"""
