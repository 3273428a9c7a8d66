"""`kata-cli check` (alias `kata-check`): can this host run Kata Containers?"""

from __future__ import annotations

from typing import Any

import click

from kata_cli.appctx import AppContext
from kata_cli.commands.check_body import run_check
from kata_cli.commands.options import Seconds, flavour_option, pass_app


@click.command(
    "check",
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Exit status: 0 capable, 1 not capable (or the KVM test failed), 2 usage error. "
    "No network request is made unless a release option asks for one.",
)
@click.option("-v", "--verbose", is_flag=True, help="Show a table of every check.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (schema versioned).")
@click.option("--junit", "junit_path", metavar="FILE", help="Also write JUnit XML to FILE.")
@click.option("--list", "list_checks", is_flag=True, help="List every check and exit.")
@click.option(
    "--ignore",
    "ignore",
    multiple=True,
    metavar="ID[,ID...]",
    help="Skip these checks (shell patterns allowed, e.g. 'assets.*'); shown as SKIP.",
)
@click.option(
    "-s",
    "--strict",
    is_flag=True,
    help="Check module parameters and turn warnings into failures.",
)
@click.option(
    "--load-modules",
    is_flag=True,
    help="Load missing kernel modules with modprobe and report what was loaded "
    "(root, host root / only).",
)
@click.option("--boot", is_flag=True, help="Also boot a VM with the configured assets.")
@click.option("--boot-guest", is_flag=True, help="Also boot a VM with the built-in test guest.")
@click.option(
    "--boot-timeout",
    type=Seconds(1),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="Time limit of --boot / --boot-guest.",
)
@click.option(
    "--boot-marker",
    default="",
    metavar="LINE",
    help="Console text that means the --boot guest is ready (e.g. a line a Kata image prints).",
)
@click.option("--check-release", is_flag=True, help="Also ask GitHub for a newer Kata release.")
@click.option(
    "--check-version-only", is_flag=True, help="Only compare with the latest release (network)."
)
@click.option(
    "--only-list-releases", is_flag=True, help="Only list releases: version;date;url (network)."
)
@click.option("--include-all-releases", is_flag=True, help="Do not drop pre-releases.")
@click.option(
    "-n",
    "--no-network-checks",
    is_flag=True,
    help="Never use the network (also KATA_CHECK_NO_NETWORK=<non-empty>); wins over the above.",
)
@click.option(
    "--nfd", "nfd_path", metavar="FILE", help="Also write the verdict as an NFD feature file."
)
@click.option(
    "--prometheus", "prometheus_path", metavar="FILE", help="Also write a node_exporter textfile."
)
@click.option("--json-out", "json_out", metavar="FILE", help="Also write the node's JSON document.")
@click.option(
    "--every",
    metavar="DURATION",
    help="Run until stopped (SIGTERM: exit 143), every DURATION +-10% (e.g. 10m): for a DaemonSet.",
)
@click.option(
    "--state-file",
    metavar="FILE",
    help="With --every: record each run here, for `fleet probe` "
    "(default /run/kata-cli/check-state.json as root).",
)
@click.option(
    "--node-name", metavar="NAME", envvar="NODE_NAME", help="Node name in outputs. Env: NODE_NAME."
)
@click.option(
    "--count", type=click.IntRange(1), hidden=True, help="With --every: stop after N runs."
)
@flavour_option
@pass_app
def check(app: AppContext, **options: Any) -> None:
    """Test whether this host can run Kata Containers, and say what to fix.

    Checks the CPU, kernel modules, KVM, vsock, storage path, installed assets and
    confidential-guest support against the loaded configuration. Nothing on the host is
    changed (modules are loaded only with --load-modules).

    \f
    `kata-cli check` (alias `kata-check`) answers "can this host run Kata Containers, and if
    not, what exactly do I fix?". It changes nothing on the host and makes no network request
    unless asked.

    ```sh
    kata-cli check                 # upstream-compatible verdict, problems on stderr
    kata-cli check -v              # a table of every check: PASS / WARN / FAIL / SKIP, detail, remedy
    kata-cli check --json          # one JSON object (see below); exit status unchanged
    kata-cli check --junit out.xml # also write JUnit XML, one testcase per check (for CI)
    kata-cli check --list          # every check, its category, required or not, needs root, level
    kata-cli check --list --json   # the same as JSON: {schema, checks: [{id, category, level, description, required, needs_root}]}
    kata-cli --host-root /host check   # judge the node mounted at /host from inside a pod
    ```


    Each failure is one `ERROR: <check id>: <detail>` line on stderr followed by
    `  remedy: ...`; warnings are `WARNING:` lines. `--boot-guest` / `--boot` print their
    result on stdout in plain words (`booted the test guest in 3.1 s`).

    **Container-manager wiring.** containerd: `/etc/containerd/config.toml` with its
    `imports` (a relative path is relative to the importing file, `*` globs one directory
    level, each file read once, at most 64 files of 1 MiB), in the layout of its `version`: 1
    `[plugins.cri.containerd.runtimes.<h>]`, 2 `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.<h>]`,
    3 `[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.<h>]` (an imported file of
    an older version is migrated first, as containerd 2 does). When the host root is `/` and
    `containerd` is on `PATH`, the merged configuration is the installed containerd's own
    (`containerd --config FILE config dump`, 5 s): the detail says which source was used.
    Read from the files, a Kata handler that containerd 1.x would lose (it replaces a
    plugin's whole table with a later file's) is a WARN. The shim is `runtime_path`, else the
    name derived from `runtime_type` (`io.containerd.kata-qemu.v2` ->
    `containerd-shim-kata-qemu-v2`) looked up in containerd's search path, systemd's default
    `PATH` (`/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`): a shim only in
    `/opt/kata/bin` FAILs with the `ln -s` to run. k3s and RKE2: their embedded containerd
    is judged the same way, from the files only (it is never run), under its own ids
    (`wiring.k3s.*`, `wiring.rke2.*`): `/var/lib/rancher/{k3s,rke2}/agent/etc/containerd/config.toml`,
    which they rewrite at every start from `config-v3.toml.tmpl` or `config.toml.tmpl` when
    one exists. A template newer than `config.toml` (or without one) is what the next start
    uses: `wiring.<k3s|rke2>.template` WARNs, and the template is judged when it is plain
    TOML; a Go template (`{{ ... }}`) or a file that does not parse cannot be judged (WARN
    naming it; `config.toml`, what runs now, is judged instead). A Kata handler written into
    `config.toml` itself with no template, or that the plain TOML template it was rendered
    from lacks (added after the render), is lost at the next start (WARN). Shims are looked
    up in k3s's `/var/lib/rancher/k3s/data/current/bin` (without `current`, every
    `data/*/bin`) or RKE2's `/var/lib/rancher/rke2/bin`, then the `PATH` above (then k3s's
    `bin/aux`). CRI-O: `/etc/crio/crio.conf`, then every file of `/etc/crio/crio.conf.d/`
    by name, merged key by key; a handler is Kata's when its name or `runtime_path` says
    `kata`.

    **Broken configuration.** When the configuration does not load (invalid TOML, several
    `[hypervisor.*]` tables and no `[runtime] hypervisor_name`, a value of the wrong type),
    `config.load` fails with the loader's message (`<file>:<line>:<col>: ...`) and the remedy
    "run `kata-cli config lint`". The checks that need the configuration (`host.config`,
    `host.memory`, `vsock.device`, `storage.rootfs`, `assets.*`, `boot.vm`) are `skip` with the
    detail `configuration could not be loaded`; the CPU, module and KVM checks still run,
    `capable` is `false`, exit 1, and `--json` / `--junit` still write their report. A
    `--config PATH` naming a missing file keeps upstream's exact
    `Cannot find usable config file (file <abs> does not exist)` as the only output (exit 1),
    except that `--json` still prints the object and `--junit FILE` still writes the file.

    **Checks** (ids as in `--list`; `--ignore ID[,ID...]` skips some, shell patterns allowed,
    shown as SKIP; a pattern that names no check, or patterns that leave no required
    hardware and kernel check to run, such as `--ignore '*'`, are a usage error, exit 2:
    a verdict over nothing is none):

    | category | checks | decides the verdict |
    | --- | --- | --- |
    | `config` | `config.load` (the configuration loads: valid TOML, one hypervisor, right value types) | yes (installation) |
    | `host` | `host.config` (which configuration is judged), `host.container` (inside a container: nested containers are unsupported), `host.memory` (`default_memory` vs host RAM / available memory) | container, RAM below `default_memory` |
    | `cpu` | `cpu.vendor` (GenuineIntel / AuthenticAMD; anything else: `Unknown CPU Type` naming the vendor), `cpu.flags` (`/proc/cpuinfo` lists flags), `cpu.flag.{vmx,svm,lm,sse4_1}` (whole words of the first CPU block's `flags`), `cpu.hypervisor-type` (the configured hypervisor type is supported on this CPU) | yes |
    | `kernel-modules` | `module.{kvm,kvm_intel/kvm_amd,vhost,vhost_net}` required, `module.vhost_vsock` optional (present under `/sys/module`, or built into the kernel per `/lib/modules/<release>/modules.builtin`); `module.kvm_intel.unrestricted_guest`, `module.*.nested` with `--strict` | required modules |
    | `kvm` | `kvm.usable`: open `/dev/kvm`, `KVM_GET_API_VERSION` = 12, `KVM_CREATE_VM`. On paravirtualized KVM (`kvm_pvm`) a created VM proves nothing (a standard guest kernel hangs under it): WARN naming `check --boot` as the proof, FAIL when `kvm_intel`/`kvm_amd` is not loaded | yes (a user who cannot open `/dev/kvm`: WARN "cannot verify") |
    | `vsock` | `vsock.device`: `/dev/vhost-vsock` is a character device (qemu, stratovirt talk to the agent over vsock; without it the runtime refuses the configuration) | yes, for qemu and stratovirt |
    | `storage` | `storage.rootfs` (virtio-fs, virtio-9p or block devices), `storage.virtio-fs` (daemon exists, runs `--version`), `storage.virtio-9p` (slow, not POSIX-complete), `storage.block` and `storage.devmapper` (containerd's devmapper snapshotter, wiring level: thin pool under `/dev/mapper`, `dm_thin_pool` loaded, `disable_block_device_use = false`) | `storage.virtio-fs` (installation); the others warn |
    | `assets` | `assets.hypervisor`, `assets.kernel`, `assets.guest-rootfs` (exactly one of image/initrd), `assets.firmware`: exist under the host root, are non-empty files, executable where needed | yes (installation) |
    | `confidential` | `confidential.tdx`, `confidential.sev-snp` | only when the configuration asks for a confidential guest |
    | `boot` | `boot.vm` with `--boot` (configured kernel and image: installation level) or `--boot-guest` (test guest: hardware level), `--boot-timeout`, `--boot-marker LINE` (the console text that means a Kata image is up, e.g. `Freeing unused kernel image`) | yes, when asked for |
    | `wiring` | `wiring.manager` (names every manager configured: containerd, k3s, RKE2, CRI-O; SKIP when none is, or Kata is not installed), `wiring.containerd.config` (the file and its imports load; SKIP naming it when containerd is not installed: no `containerd` program in the usual directories nor a `containerd.service` unit, so the file is left over), `wiring.containerd.handlers` (a handler with `runtime_type = "io.containerd.kata*.v2"`; the FAIL names the file and the table to add), and per handler `wiring.containerd.shim.<h>`, `wiring.containerd.kata-config.<h>` (`options.ConfigPath` exists and loads), `wiring.containerd.snapshotter.<h>` (devmapper pool, overlay, proxy plugin socket); k3s and RKE2: the same checks as `wiring.k3s.*` / `wiring.rke2.*`, plus `wiring.k3s.template` / `wiring.rke2.template` (optional: WARN when the template is newer than `config.toml`); CRI-O: `wiring.crio.config` (SKIP likewise when no `crio` program nor `crio.service`), `wiring.crio.handlers`, `wiring.crio.runtime-type.<h>` (`"vm"`), `wiring.crio.shim.<h>`, `wiring.crio.kata-config.<h>` (`runtime_config_path`) | yes (wiring) |
    | `release` | `release.newer` with `--check-release` | never (advisory) |

    The CPU and module requirements are data: `share/checks/x86_64.toml`, selected by CPU
    vendor and the configured hypervisor type (`remote` needs no local virtualization, `mock`
    only the CPU checks). Diagnoses go beyond "missing": VT-x/SVM disabled in the firmware
    (kernel log `disabled by bios`, or the CPU flag present but `kvm_intel`/`kvm_amd` absent),
    a VM without nested virtualization, `vhost_vsock` blocked by a guest-side vsock transport
    (`vmw_vsock_virtio_transport`), a module not listed in `/etc/modules-load.d` (gone after a
    reboot). "Cannot verify" (e.g. `/dev/kvm` not accessible to a non-root user) is a warning
    with the fix (join the `kvm` group), never reported as "missing".

    **KVM test.** Runs as root, and for any user who can open `/dev/kvm` (upstream: root only).

    **Options.** `-s/--strict` checks module parameters (`kvm_intel unrestricted_guest=Y`
    unless running under a hypervisor; `nested` is reported) and turns every warning into a
    failure. `--load-modules` (root only) runs `modprobe` for missing modules and reports what
    it loaded; without it no module is ever loaded. `--flavour go|rs` reads the configuration
    as a Go runtime or runtime-rs file when the detection guesses wrong.

    Host data quoted in details (paths from the configuration, CPU vendor strings) is shown
    with control characters escaped (`\\x1b`), so no report can drive the terminal; the JUnit
    file stays well-formed XML whatever the host holds.

    **Release check** (opt-in; `-n/--no-network-checks` or a non-empty
    `KATA_CHECK_NO_NETWORK` always win): `--check-release` adds `release.newer` to a normal
    check (a network failure is a warning, never the verdict); `--check-version-only` prints
    `Newer <type> release available: <version> (url: <url>, date: <date>)`, `No newer release
    available` or `No releases available`; `--only-list-releases` prints `version;date;url`
    lines in SemVer order; `--include-all-releases` keeps pre-releases. Releases are fetched
    from the GitHub API with 3 s connect / 10 s read timeouts and 30 s in total (a server that
    drips bytes cannot hold the check), following pagination; a rate limit is reported as
    such. `KATA_RELEASE_URL` may only name one of upstream's two API URLs
    (`Release URL "<url>" is not valid` otherwise). An explicit release request is honoured
    as root too (upstream skips it with `Not running network checks as super user`; a plain
    `check` makes no request, so there is nothing to warn about). As upstream,
    `--check-version-only` and `--only-list-releases` never run the host checks: with `-n`
    they print nothing on stdout and exit 0.

    **JSON** (`--json`):

    ```json
    {
      "schema": "kata-cli/check/1",
      "capable": true,
      "can_create": null,
      "kata_installed": true,
      "levels": {"hardware": true, "installation": true, "wiring": null},
      "checks": [
        {"id": "cpu.flag.vmx", "category": "cpu", "level": "hardware",
         "description": "Virtualization support (Intel VT-x)",
         "status": "pass", "required": true, "detail": "found", "remedy": ""}
      ]
    }
    ```

    `capable` is the verdict (exit status 0 exactly when it is `true`); `levels` has one value
    per level: `true` (no check of the level failed), `false` (one failed) or `null` (not
    judged: all its checks skipped); `kata_installed` is `false` when the embedded default
    stood in for a configuration file; `can_create` as above; a check's `level` is
    `hardware`, `installation`, `wiring` or `advisory`; `status` is `pass`, `warn`, `fail` or
    `skip`; `remedy` is set for `warn` and `fail`. The JUnit file carries the same verdict as
    `capable`, `can_create`, `kata_installed` and `level.<name>` properties. A configuration that does not load appears as
    `{"id": "config.load", "category": "config", "status": "fail", "required": true, "detail": "<file>:<line>:<col>: invalid TOML: ...", ...}`
    (the same line is also written to stderr).

    **Exit status:** 0 capable (no check failed, the KVM test and boot included); 1 not
    capable, or a command error (`--check-version-only` / `--only-list-releases` when
    the release request fails); 2 usage error (including an `--ignore` pattern that matches no
    check id); 130 interrupted.
    """
    run_check(app, **options)
