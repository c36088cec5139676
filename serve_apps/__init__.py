"""Ray Serve applications (`serve run serve_apps/config.yaml`, or `vqa serve`): the rater and the
chatter, thin deployments over `vqa.model` and `vqa.serving`."""
