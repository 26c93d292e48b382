"""The inference function's image pipeline, free of AWS: bytes in, verified cutout bytes out.

decode (validate, normalise) -> segment (the tier's model) -> refine (clean-up or matting)
-> outputs (encode, thumbnail, verify). `pipeline.run` strings them together.
"""
