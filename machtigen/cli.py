"""The ``machtigen`` command: migrate, demo-data, serve, jobs, send-notifications."""

import click

from machtigen.authz.engine import get_authorizer
from machtigen.clock import SystemClock
from machtigen.config import get_settings
from machtigen.db import make_engine, session_factory, transaction
from machtigen.migrate import upgrade


@click.group()
def main() -> None:
    """machtigen: delegation and authorization for the government mailbox."""


@main.command()
def migrate() -> None:
    """Bring the database schema to the newest migration."""
    settings = get_settings()
    _ensure_sqlite_folder(settings.database_url)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    click.echo("database migrated")


@main.command("demo-data")
def demo_data() -> None:
    """Load the demo stories (Koen, Corry, Piet, Monique, Christina, Lisa) once."""
    from machtigen.demo import load_demo_data

    engine = make_engine(get_settings().database_url)
    with transaction(session_factory(engine)) as session:
        loaded = load_demo_data(session, get_authorizer(), SystemClock().now())
    engine.dispose()
    click.echo("demo data loaded" if loaded else "demo data already present")


@main.command()
@click.option(
    "--host", default=None, help="Address to listen on (default MACHTIGEN_HOST or 127.0.0.1)."
)
@click.option("--port", default=None, type=int, help="Port (default MACHTIGEN_PORT or 8000).")
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the API and portal with uvicorn."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        proxy_headers=True,
        http="api.server:NoDelayH11Protocol",
    )


@main.group()
def dev() -> None:
    """Development helpers (need MACHTIGEN_DEV_BROKER=true)."""


@dev.command("token")
@click.argument("means", type=click.Choice(["digid", "eidas", "eherkenning"]))
@click.option("--bsn", help="DigiD: the BSN (nine digits, elfproef).")
@click.option(
    "--loa",
    required=True,
    help="basis|midden|substantieel|hoog, an eIDAS LoA URI, or EH2+|EH3|EH4.",
)
@click.option("--person-identifier", help="eIDAS: CC/NL/identifier.")
@click.option("--given-name", default="", help="eIDAS: FirstName.")
@click.option("--family-name", default="", help="eIDAS: FamilyName.")
@click.option("--birthdate", default="", help="eIDAS: DateOfBirth, YYYY-MM-DD.")
@click.option("--kvk", help="eHerkenning: the office's KvK number.")
@click.option("--employee-id", help="eHerkenning: the employee's pseudonymous id.")
@click.option("--name", default="", help="eHerkenning: the employee's name.")
@click.option("--lifetime", default=300, show_default=True, help="Seconds until the token expires.")
def dev_token(means: str, loa: str, lifetime: int, **values: str | None) -> None:
    """Print an ID token signed by the development broker, e.g. for scripts and curl."""
    from machtigen.identity.brokers import mint_dev_token

    settings = get_settings()
    if not settings.dev_broker:
        raise click.UsageError("the development broker is off; set MACHTIGEN_DEV_BROKER=true")
    claims = {key: value for key, value in values.items() if value}
    if means == "eherkenning" and values.get("employee_id"):
        claims["sub"] = str(values["employee_id"])
    claims["acr"] = loa
    token = mint_dev_token(
        settings, means, claims, now=SystemClock().now(), lifetime_seconds=lifetime
    )
    click.echo(token)


@main.command()
@click.option(
    "--only",
    multiple=True,
    type=click.Choice(
        [
            "expire_mandates",
            "start_measures",
            "untick_transitions",
            "reminders",
            "escalate_unvisited",
            "write_letters",
            "audit_seal",
        ]
    ),
    help="Run only these jobs (repeatable); default all.",
)
def jobs(only: tuple[str, ...]) -> None:
    """Run the periodic jobs once: safe from cron on several hosts, and to run twice."""
    from machtigen.audit.seal import sealer_for
    from machtigen.notifications.jobs import JOB_NAMES, Jobs, JobsConfig

    settings = get_settings()
    engine = make_engine(settings.database_url)
    factory = session_factory(engine)
    clock = SystemClock()
    runner = Jobs(
        uow=lambda: transaction(factory),
        clock=clock,
        authz=get_authorizer(),
        config=JobsConfig.from_settings(settings),
        sealer=sealer_for(engine, settings, clock),
    )
    for result in runner.run(only or JOB_NAMES):
        state = f"{result.done} done" if result.ran else "skipped (another host holds it)"
        click.echo(f"{result.name}: {state}")
    engine.dispose()


@main.command("send-notifications")
@click.option("--once", is_flag=True, help="Deliver what is due now and stop.")
def send_notifications(once: bool) -> None:
    """Deliver the notification outbox over SMTP (run one or more of these processes)."""
    import asyncio

    from machtigen.notifications.sender import Sender, SenderConfig

    settings = get_settings()
    engine = make_engine(settings.database_url)
    factory = session_factory(engine)
    sender = Sender(
        uow=lambda: transaction(factory),
        clock=SystemClock(),
        authz=get_authorizer(),
        config=SenderConfig.from_settings(settings),
    )

    async def drain() -> int:
        total = 0
        while (report := await sender.run_once()).claimed:
            total += report.sent
        return total

    try:
        if once:
            click.echo(f"{asyncio.run(drain())} notifications sent")
        else:
            asyncio.run(sender.run())
    except KeyboardInterrupt:
        pass
    finally:
        engine.dispose()


@main.group()
def audit() -> None:
    """The audit trail: seal it, verify it, publish the key that signs its checkpoints."""


@audit.command("seal")
@click.option("--max-batches", type=int, default=None, help="Stop after this many batches.")
def audit_seal(max_batches: int | None) -> None:
    """Chain and sign the committed audit events (safe on several hosts at once)."""
    from machtigen.audit.seal import sealer_for

    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        report = sealer_for(engine, settings, SystemClock()).run(max_batches=max_batches)
    finally:
        engine.dispose()
    click.echo(
        f"sealed {report.sealed} events in {len(report.checkpoints)} checkpoints;"
        f" tree size {report.tree_size}; {report.exported} checkpoints exported"
    )
    if report.waiting_for:
        click.echo(
            "not sealed further: transactions still writing audit events: "
            + ", ".join(report.waiting_for),
            err=True,
        )
        raise SystemExit(3)


@audit.command("jwks")
def audit_jwks() -> None:
    """Print the public keys (JWKS) checkpoints are signed with, retired ones too: publish it."""
    import json

    from machtigen.keys import AUDIT_CHECKPOINT, load_keyset

    keyset = load_keyset(get_settings(), AUDIT_CHECKPOINT)
    click.echo(json.dumps(keyset.jwks(SystemClock().now(), include_expired=True), indent=2))


@audit.command("verify")
@click.option(
    "--export",
    "export_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Check one person's export file (JSON or CSV) offline instead of the database.",
)
@click.option(
    "--jwks",
    type=click.Path(exists=True, dir_okay=False),
    help="Trusted public keys (from `machtigen audit jwks`, also older ones after a rotation).",
)
@click.option(
    "--checkpoints-dir",
    default=None,
    help="Compare with the checkpoints exported here (default MACHTIGEN_AUDIT_CHECKPOINT_DIR).",
)
@click.option("--max-findings", default=100, show_default=True)
def audit_verify(
    export_file: str | None, jwks: str | None, checkpoints_dir: str | None, max_findings: int
) -> None:
    """Check the log against its signed checkpoints and name every place it was changed.

    Exit 0 when everything checks, 1 when something does not.
    """
    from machtigen.audit.checkpoints import FileSink, TrustedKeys
    from machtigen.audit.verify import load_export, verify_export, verify_log

    trusted = TrustedKeys.from_file(jwks) if jwks else None
    if export_file is not None:
        report = verify_export(load_export(export_file), trusted)
        what = f"export {export_file}"
    else:
        from machtigen.audit.mac import MacKeys
        from machtigen.keys import AUDIT_CHECKPOINT, AUDIT_MAC, PURPOSES, read_keyset

        settings = get_settings()
        keys = TrustedKeys({"keys": []})
        checkpoint_keys = PURPOSES[AUDIT_CHECKPOINT].path(settings)
        if checkpoint_keys.exists():
            published = read_keyset(PURPOSES[AUDIT_CHECKPOINT], checkpoint_keys)
            keys = TrustedKeys(published.jwks(SystemClock().now(), include_expired=True))
        keys = keys.merged(trusted) if trusted else keys
        mac_keys = PURPOSES[AUDIT_MAC].path(settings)
        macs = MacKeys(read_keyset(PURPOSES[AUDIT_MAC], mac_keys)) if mac_keys.exists() else None
        directory = checkpoints_dir or settings.audit_checkpoint_dir
        engine = make_engine(settings.database_url)
        try:
            report = verify_log(
                engine,
                keys,
                sink=FileSink(directory) if directory else None,
                max_findings=max_findings,
                macs=macs,
            )
        finally:
            engine.dispose()
        what = "the audit log"
    for finding in report.findings:
        click.echo(f"FAIL {finding}")
    for note in report.notes:
        click.echo(f"note: {note}")
    summary = (
        f"{what}: {report.events} events, {report.sealed} sealed and checked,"
        f" {report.pending} not sealed yet, {report.checkpoints} checkpoints"
    )
    if report.ok:
        click.echo(f"OK {summary}")
        return
    click.echo(f"BROKEN {summary}: {len(report.findings)} problems")
    raise SystemExit(1)


def _ensure_sqlite_folder(url: str) -> None:
    from pathlib import Path

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def _add_operator_commands() -> None:
    from machtigen.cli_operator import afnemers, clients

    main.add_command(afnemers)
    main.add_command(clients)


_add_operator_commands()

if __name__ == "__main__":
    main()
