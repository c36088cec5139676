"""Ray job entrypoint: `ray job submit --working-dir . -- python jobs/evaluate.py --config C`."""

import sys

from vqa.cli import main

if __name__ == "__main__":
    sys.exit(main(["evaluate", *sys.argv[1:]]))
