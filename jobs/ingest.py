"""Ray job entrypoint: `ray job submit --working-dir . -- python jobs/ingest.py SRC --out DIR`."""

import sys

from vqa.cli import main

if __name__ == "__main__":
    sys.exit(main(["ingest", *sys.argv[1:]]))
