"""The runtime core: boot, inspect and tear down QEMU VMs from a Kata configuration.

`plan` turns a configuration into a QEMU command line (data, never a shell string) in
named steps, `sizing` and `accel` decide how big and how fast, `shares` says how the
guest mounts a `--share`, `runner` is `vm plan` / `vm run` as library calls (request ->
plan -> running VM, Ctrl-C and SIGTERM included), `lifecycle` starts, stops, lists and
inspects, `supervisor` keeps QEMU as its direct child and relays hybrid vsock to the
guest's debug port, `state` records what runs under the run directory, `qmp` talks to
QEMU, `guest` finds the cached test guest that `guest_build` (with `guest_initrd`)
builds, and `bootcheck` is the end-to-end boot test used by `check --boot`. Nothing here
prints or imports click; `kata_cli/render/vm.py` and `render/vm_guest.py` render.
Direct file-system and process access is confined to the modules the host-discipline
test allows one by one (state, supervisor, lifecycle, ...); the others go through Host.
"""
