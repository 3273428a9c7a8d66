"""Debug-console transports and terminal plumbing.

`hvsock` and `vsock` open a byte pipe to a guest port (hybrid vsock through a
hypervisor's Unix socket, or AF_VSOCK), `session` relays a local terminal or pipes to
it, and `oneshot` runs one command through a guest shell with a marker protocol.
Used by `kata-cli exec` and `kata-cli vm console/exec`.
"""
