"""moto's server finds the backend of every request by listing the directories of its own
package (`moto.backends.list_of_moto_modules`), once or twice a request, under a lock all requests
share: a few milliseconds of every AWS call the local runtime makes. The list cannot change while
moto runs, so it is read once (this changes no behaviour: the same backend answers)."""

from contextlib import contextmanager
from unittest import mock

from moto import backends


@contextmanager
def cache_backend_lookup():
    modules = frozenset(backends.list_of_moto_modules())
    with mock.patch.object(backends, "list_of_moto_modules", lambda: modules):
        yield
