"""moto's per-request lookups, computed once while the local runtime runs: the same answers."""

from moto import backends
from moto.core import responses
from moto.dynamodb.responses import DynamoHandler

from bgr_local.moto_lookups import cache_lookups


def test_the_cached_lookups_answer_as_moto_does_and_end_with_the_runtime():
    modules, actions = set(backends.list_of_moto_modules()), responses.method_names_from_class(DynamoHandler)
    with cache_lookups():
        assert set(backends.list_of_moto_modules()) == modules and "dynamodb" in modules
        assert responses.method_names_from_class(DynamoHandler) == actions and "get_item" in actions
        assert responses.method_names_from_class(DynamoHandler) is responses.method_names_from_class(
            DynamoHandler
        )
    assert responses.method_names_from_class(DynamoHandler) is not responses.method_names_from_class(
        DynamoHandler
    )
