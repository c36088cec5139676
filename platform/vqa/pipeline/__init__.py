"""`vqa pipeline`, the whole loop as one job: its configs, step plans and fingerprints, services, results."""
