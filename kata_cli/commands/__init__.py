"""One thin module per subcommand; `kata_cli.cli.COMMANDS` lists them."""
