"""One module per `quantacore` subcommand."""
