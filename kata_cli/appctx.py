"""What the global options resolved to: the `ctx.obj` of every command."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kata_cli.errors import UsageError
from kata_cli.host import Host, is_local_dir
from kata_cli.record import field, record

if TYPE_CHECKING:
    from kata_cli.config.model import Config
    from kata_cli.environment import Environment


@record
class AppContext:
    """The resolved global options and the host they point at."""

    host: Host
    config_path: str | None = None
    log_path: str | None = None
    log_format: str = "text"
    # where notices such as "embedded default used" go: the CLI hands in the renderer's
    # stderr note (the core never imports rendering); None drops them
    notify: Callable[[str], None] | None = None
    _configs: dict[tuple[str | None, bool], Config] = field(default_factory=dict, repr=False)

    @classmethod
    def create(
        cls,
        *,
        config_path: str | None = None,
        host_root: str = "/",
        log_path: str | None = None,
        log_format: str = "text",
        notify: Callable[[str], None] | None = None,
        env: Environment | None = None,
        host_type: type[Host] = Host,
    ) -> AppContext:
        """`env` and `host_type` stand in for the process's environment and for `Host`
        (tests hand in a fake environment, or a Host subclass that injects a fault)."""
        if config_path == "":  # an unset shell variable: never fall back to the search list
            raise UsageError("--config '': name a file", "or leave --config out to search")
        if not is_local_dir(host_root):
            raise UsageError(f"--host-root {host_root}: not a directory")
        app = cls(host_type(host_root, env), config_path, log_path, log_format, notify)
        if log_path:
            from kata_cli.logsetup import configure

            configure(log_path, log_format)
        return app

    @property
    def env(self) -> Environment:
        """The process's environment, as handed to the core (`Host.env`)."""
        return self.host.env

    def load_config(self, flavour: str | None = None, allow_embedded: bool = True) -> Config:
        """Load (once) the configuration; notices such as "embedded default used" go to stderr."""
        cache_key = (flavour, allow_embedded)
        if cache_key not in self._configs:
            from kata_cli.config import load

            config = load(
                self.host,
                explicit=self.config_path,
                environ=dict(self.env.environ),
                flavour=flavour,
                allow_embedded=allow_embedded,
            )
            notify = self.notify
            if notify is not None:
                for text in config.notices:
                    notify(text)
            self._configs[cache_key] = config
        return self._configs[cache_key]
