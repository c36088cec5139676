"""The whole loop as one job: pipeline configs, step plans and fingerprints, services, results."""
