"""`vqa pipeline`, the whole loop as one job: its configs, step plans and fingerprints, results
(the services it starts are `vqa.pipelines.services`; `vqa.pipelines.run_pipeline` runs it)."""
