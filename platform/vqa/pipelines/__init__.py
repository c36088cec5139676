"""Ray Data pipelines composed from library stages; Ray appears here, not in the library."""
