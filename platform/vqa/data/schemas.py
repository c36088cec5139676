"""Arrow schemas for the records that flow between stages (manifest rows, instruction samples)."""

from __future__ import annotations

import pyarrow as pa

STATUS_OK = "ok"
STATUS_FILTERED = "filtered"
STATUS_ERROR = "error"
STATUSES = (STATUS_OK, STATUS_FILTERED, STATUS_ERROR)

MANIFEST_SCHEMA = pa.schema([
    pa.field("video_id", pa.string(), nullable=False),
    pa.field("path", pa.string(), nullable=False),
    pa.field("size_bytes", pa.int64()),
    pa.field("frames", pa.int64()),
    pa.field("fps", pa.float64()),
    pa.field("duration", pa.float64()),
    pa.field("width", pa.int32()),  # as displayed (rotation applied)
    pa.field("height", pa.int32()),
    pa.field("codec", pa.string()),
    pa.field("rotation", pa.int32()),  # display rotation, degrees clockwise (ffprobe's rotate)
    pa.field("status", pa.string(), nullable=False),
    pa.field("error", pa.string()),
])

DIMENSIONS = ("color", "noise", "artifact", "blur", "temporal", "overall")
TASKS = ("rating", "understanding", "incontext", "aesthetic")

TURN = pa.struct([pa.field("from", pa.string()), pa.field("value", pa.string())])
SCORES = pa.struct([pa.field(d, pa.float64()) for d in DIMENSIONS])

INSTRUCTION_SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("video", pa.string(), nullable=False),
    pa.field("conversations", pa.list_(TURN), nullable=False),
    pa.field("task", pa.string()),
    pa.field("mos", pa.float64()),
    pa.field("scores", SCORES),
    pa.field("meta", pa.string()),  # JSON text: provenance (prompt hash, spec, source ids, …)
])
