"""The REST API (SPEC §6): one resolver factory shared by the upload, pricing and account functions."""
