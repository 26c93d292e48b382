"""The clients' shapes are the service's: docs/openapi.json is the document the API serves, and the
CLI's and the web app's status sets are what its status schemas say (`make api-shapes` rewrites
them; this fails until it has been run after a change to the API)."""

import json

from bgr_core.work import status
from scripts import api_shapes

RUN = "run `make api-shapes` (needs `npm ci` in web/)"


def test_the_committed_document_is_the_one_the_api_serves():
    assert api_shapes.DOCUMENT.read_text() == api_shapes.document(), RUN


def test_the_status_sets_are_generated_from_the_document():
    doc = json.loads(api_shapes.document())
    assert api_shapes.CLI_STATUSES.read_text() == api_shapes.cli_statuses(doc), RUN
    assert api_shapes.WEB_STATUSES.read_text() == api_shapes.web_statuses(doc), RUN


def test_the_document_carries_the_services_own_sets():
    from bgr_cli import statuses

    names = [f"{kind}_{which}" for kind in ("JOB", "ITEM", "BATCH", "ZIP") for which in ("OPEN", "FINAL")]
    generated = {name: getattr(statuses, name) for name in names}
    assert generated == {name: frozenset(getattr(status, name)) for name in names}
