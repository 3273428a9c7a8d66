from kata_cli.cli import main

main()
