"""Shim management client: sandbox discovery, the HTTP-over-Unix-socket client, agent
URLs, and direct-assigned volumes."""
