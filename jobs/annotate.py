"""Ray job entrypoint: `ray job submit --working-dir . -- python jobs/annotate.py --manifest M
--config configs/cluster-annotate.yaml --out DIR` (keys come from env vars the config names:
pass them with `--runtime-env-json '{"env_vars": {...}}'` or the cluster's environment)."""

import sys

from vqa.cli import main

if __name__ == "__main__":
    sys.exit(main(["annotate", *sys.argv[1:]]))
