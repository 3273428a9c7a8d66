"""`kata-cli metrics`: a sandbox's Prometheus metrics from its shim."""

from __future__ import annotations

import click

from kata_cli.appctx import AppContext
from kata_cli.commands import completers
from kata_cli.commands.options import pass_app


@click.command()
@click.argument("sandbox_id", required=False, default="", shell_complete=completers.sandbox_ids)
@pass_app
def metrics(app: AppContext, sandbox_id: str) -> None:
    """Print the Prometheus metrics (shim, hypervisor, agent) of SANDBOX_ID.

    \f
    ```
    kata-cli metrics SANDBOX                              # Prometheus text from the shim
    ```

    `metrics`, `iptables` and `policy` talk to the sandbox's `shim-monitor.sock` (HTTP over a Unix socket, 3 s timeout
    for the whole request). The sandbox may be named by id, unique prefix, or Go container
    id, as for `exec`. A non-200 reply is an error with its status and body, in upstream's
    words (`Error observed when making iptables-set request(FILE): error sending put: url:
    /iptables, status code: 500, response data: ...`, the body cut at 1 KiB); a missing, dead
    or silent shim is one line saying which: missing, not a socket, refusing connections,
    permission denied (run as root), silent for 3 s, or an answer that is cut short or is not
    HTTP. What the shim answers (`metrics`, `iptables get`, `direct-volume stats`) is printed
    followed by a newline, as upstream prints it, even after a body's own final newline;
    verbatim into a pipe, with control characters escaped on a terminal. Answers are read in linear time up to a cap: 64 MiB of body (`Content-Length`,
    chunked or until close), 64 KiB and 100 lines of headers, 262144 chunks; beyond it the
    error says `answer too large`. Numbers a shim sends (status, `Content-Length`, chunk
    sizes, the CID and port of its agent URL) are length-checked before conversion. Exit
    statuses (all three): 0 done, 1 an error, 2 a usage error.
    """
    from kata_cli.render.text import peer_text
    from kata_cli.shim.client import client_for

    peer_text(client_for(app.host, sandbox_id).metrics())
