"""Ray job entrypoint:
`ray job submit --working-dir . -- python jobs/mos.py --ratings R --out DIR`."""

import sys

from vqa.cli import main

if __name__ == "__main__":
    sys.exit(main(["mos", *sys.argv[1:]]))
