"""Schemathesis in the test suite: every operation of the afnemer API, positive and negative
cases, as an afnemer and as the court register, all checks; a bounded number of examples per
operation (``MACHTIGEN_FUZZ_EXAMPLES``, default 12) so the run stays within minutes. No 5xx,
and every answer conforms to the OpenAPI document. The larger run is ``run_api_fuzz.py``."""

import os

from tests.fuzz.harness import fuzz_target, run

EXAMPLES = int(os.environ.get("MACHTIGEN_FUZZ_EXAMPLES", "12"))


def test_the_api_answers_every_generated_request_within_its_document(tmp_path):
    with fuzz_target(os.environ.get("MACHTIGEN_TEST_DATABASE_URL"), tmp_path) as target:
        tally = run(target, examples=EXAMPLES)
    assert tally.server_errors == 0, tally.statuses
    assert not tally.failures, "\n\n".join(tally.failures)
    assert tally.requests >= 8 * 2 * 2 * min(EXAMPLES, 3), tally.by_operation
    assert any(200 <= status < 300 for status in tally.statuses), tally.statuses
