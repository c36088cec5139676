"""Data contracts: record schemas and their readers/writers."""

from vqa.data.io import (
    SchemaError,
    manifest_table,
    normalize_sample,
    read_labels,
    read_manifest,
    read_samples,
    samples_table,
    write_manifest,
    write_samples,
)
from vqa.data.schemas import (
    DIMENSIONS,
    INSTRUCTION_SCHEMA,
    MANIFEST_SCHEMA,
    STATUS_ERROR,
    STATUS_FILTERED,
    STATUS_OK,
    TASKS,
)

__all__ = [
    "DIMENSIONS", "INSTRUCTION_SCHEMA", "MANIFEST_SCHEMA", "STATUS_ERROR", "STATUS_FILTERED",
    "STATUS_OK", "SchemaError", "TASKS", "manifest_table", "normalize_sample", "read_labels",
    "read_manifest", "read_samples", "samples_table", "write_manifest", "write_samples",
]
