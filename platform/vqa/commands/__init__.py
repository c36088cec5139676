"""One module per `vqa` subcommand; each exposes `register(subparsers)`.

Add a command by adding its module name here.
"""

COMMANDS = ("corpus", "ingest", "label", "frames", "model", "mos", "score", "synthesize",
            "annotate", "train", "serve", "evaluate", "tune", "pipeline")
