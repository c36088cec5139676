"""Ray job entrypoint: `ray job submit --working-dir . -- python jobs/frames.py --samples
samples.jsonl --preset tiny --out frames/`."""

import sys

from vqa.cli import main

if __name__ == "__main__":
    sys.exit(main(["frames", *sys.argv[1:]]))
