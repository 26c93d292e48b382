"""moto's server repeats, on every request, two lookups whose answers cannot change while it runs:
the backend's name among the directories of moto's own package (`list_of_moto_modules`, listed
once or twice a request, under a lock all requests share) and the action names of the service's
response class (`method_names_from_class`, by inspecting the class). Together about a quarter of
moto's CPU time per DynamoDB call here; each is computed once instead (the same backend and the
same action answer: no behaviour changes)."""

from contextlib import contextmanager
from functools import cache
from unittest import mock

from moto import backends
from moto.core import responses


@contextmanager
def cache_lookups():
    modules = frozenset(backends.list_of_moto_modules())
    with (
        mock.patch.object(backends, "list_of_moto_modules", lambda: modules),
        mock.patch.object(responses, "method_names_from_class", cache(responses.method_names_from_class)),
    ):
        yield
