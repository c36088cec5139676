"""Ray job entrypoint: `ray job submit --working-dir . -- python jobs/serve.py --model
models:/NAME/VERSION --no-block` deploys the rater and the chatter (serve_apps/config.yaml) on
the cluster the job runs in and returns once they run; they stay up after the job ends. The
replicas read serve_apps/ from the checkout's path on their node: on a multi-node cluster use
`serve deploy serve_apps/config.yaml` with a `working_dir` runtime_env per app instead."""

import sys

from vqa.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
