"""Ray job entrypoint for the whole loop: `ray job submit --working-dir . -- python
jobs/pipeline.py configs/cluster-pipeline.yaml [--fresh]` — one job, not nine; a re-submission
skips the steps that finished."""

import sys

from vqa.cli import main

if __name__ == "__main__":
    sys.exit(main(["pipeline", *sys.argv[1:]]))
