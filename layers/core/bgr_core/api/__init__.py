"""The REST API: one resolver factory shared by the upload, pricing and account functions."""
