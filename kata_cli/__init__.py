"""kata-cli: administration utility for Kata Containers hosts."""

__version__ = "0.1.0"
OCI_SPEC_VERSION = "1.2.1"
NAME = "kata-cli"
