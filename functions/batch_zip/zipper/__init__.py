"""Assembles one ZIP of a batch's results in S3, in parallel segments, with bounded memory.

plan_segments groups the results, write_segment streams one group into a position-independent
segment object, finalize_zip joins the segments with server-side copies and appends the
manifest and the central directory.
"""

from zipper.names import zip_names
from zipper.plan import plan_segments
from zipper.s3 import finalize_zip, write_segment

__all__ = ["finalize_zip", "plan_segments", "write_segment", "zip_names"]
