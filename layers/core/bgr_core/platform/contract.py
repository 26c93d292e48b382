"""The base of every shape the API sends or reads: camelCase on the wire, snake_case in Python.
Domain modules that return such a shape (a batch's image spec, a user's stats) build on it too,
so the API shows them as they are instead of copying them."""

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Schema(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)
