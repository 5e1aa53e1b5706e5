"""Subcommands of the ``sonix`` command line, one module each: ``add_arguments(parser)`` + ``run(args)``."""
