"""Lambda's 6 MB payload limit (a proxy request or response, a synchronous invoke's payload or
answer), base64 included, and what each of them may therefore carry inline."""

MIB = 1024 * 1024
# An image in a request (multipart): the limit less base64 and the form's own bytes.
MAX_INLINE_BYTES = 5 * MIB
# A cutout in a proxy response or a direct invoke's answer (4/3 of it in base64); a bigger one
# is a redirect, or is read from S3.
MAX_INLINE_RESULT_BYTES = 4 * MIB
# An original in a direct invoke's payload (4/3 of it in base64); a bigger one goes through S3.
MAX_INVOKE_IMAGE_BYTES = 4 * MIB
