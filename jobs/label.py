"""Ray job entrypoint: `ray job submit --working-dir . -- python jobs/label.py MANIFEST --out
DIR [--raters baseline models:/NAME/VERSION]`."""

import sys

from vqa.cli import main

if __name__ == "__main__":
    sys.exit(main(["label", *sys.argv[1:]]))
