"""The ``machtigen`` command's options."""

import click
from click.testing import CliRunner

from machtigen.cli import main
from machtigen.jobs import JOB_NAMES


def _only_option() -> click.Choice:
    command = main.commands["jobs"]
    option = next(param for param in command.params if param.name == "only")
    assert isinstance(option.type, click.Choice)
    return option.type


def test_jobs_only_offers_every_job() -> None:
    assert list(_only_option().choices) == list(JOB_NAMES)
    assert {"purge_expired", "audit_partitions"} <= set(_only_option().choices)


def test_jobs_only_refuses_an_unknown_job() -> None:
    result = CliRunner().invoke(main, ["jobs", "--only", "no_such_job"])
    assert result.exit_code == 2
    assert "no_such_job" in result.output
