"""Ray job entrypoint: `ray job submit --working-dir . -- python jobs/tune.py --config C`."""

import sys

from vqa.cli import main

if __name__ == "__main__":
    sys.exit(main(["tune", *sys.argv[1:]]))
