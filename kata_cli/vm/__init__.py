"""The runtime core: boot, inspect and tear down QEMU VMs from a Kata configuration.

`plan` turns a configuration into a QEMU command line (data, never a shell string),
`sizing` and `accel` decide how big and how fast, `supervisor` keeps QEMU as its
direct child and relays hybrid vsock to the guest's debug port, `state` records what
runs under the run directory, `qmp` talks to QEMU, `lifecycle` ties it together for
`kata-cli vm`, and `bootcheck` is the end-to-end boot test used by `check --boot`.
This package is allow-listed to spawn processes and touch its run directory directly.
"""
