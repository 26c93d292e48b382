"""Assembles one ZIP of a batch's results in S3, in parallel segments, with bounded memory.

start_zip lays the results out as the ZIP's bytes and opens its multipart upload; write_segment
streams one segment's byte range into its own parts of that upload; finalize_zip uploads the last
part (manifest and central directory) and completes it; abort_zip removes an unfinished one.
"""

from zipper.names import zip_names
from zipper.s3 import abort_zip, finalize_zip, start_zip, write_segment

__all__ = ["abort_zip", "finalize_zip", "start_zip", "write_segment", "zip_names"]
