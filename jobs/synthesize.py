"""Ray job entrypoint:
`ray job submit --working-dir . -- python jobs/synthesize.py --manifest M --out DIR`."""

import sys

from vqa.cli import main

if __name__ == "__main__":
    sys.exit(main(["synthesize", *sys.argv[1:]]))
