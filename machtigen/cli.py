"""The ``machtigen`` command: migrate, demo-data, serve, jobs, send-notifications, audit, keys."""

from datetime import timedelta

import click

from machtigen.authz.engine import get_authorizer
from machtigen.clock import SystemClock
from machtigen.config import Settings, get_settings
from machtigen.db import make_engine, session_factory, transaction
from machtigen.jobs import JOB_NAMES
from machtigen.migrate import upgrade


@click.group()
def main() -> None:
    """machtigen: delegation and authorization for the government mailbox."""


def _start(*purposes: str) -> Settings:
    """Logs on, and the keys this command needs (outside development: present, or exit 2
    naming the missing one); the audit MAC key installed for every event it records."""
    from machtigen import logs
    from machtigen.audit import mac
    from machtigen.keys import AUDIT_MAC, MissingKeys, require

    settings = get_settings()
    logs.configure(settings.log_level, settings.log_format)
    try:
        keysets = require(settings, purposes)
    except MissingKeys as missing:
        raise click.ClickException(str(missing)) from missing
    if AUDIT_MAC in keysets:
        mac.install(keysets[AUDIT_MAC])
    return settings


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
    """Serve the API and portal with uvicorn (SIGTERM: finish requests in flight, then stop).

    With several workers, uvicorn's supervisor pings each one and kills a worker that does
    not answer within ``MACHTIGEN_WORKER_HEALTHCHECK_TIMEOUT_SECONDS`` (uvicorn's own default
    of 5 s killed workers that were merely slow to start on a busy machine).
    """
    from api.assets import MissingAssets, require_assets
    from api.main import SERVE_KEYS, production_problems

    settings = _start(*SERVE_KEYS)
    problems = production_problems(settings)
    if problems:
        raise click.ClickException("refusing to start: " + "; ".join(problems))
    try:
        require_assets()
    except MissingAssets as missing:
        raise click.ClickException(str(missing)) from missing
    metrics_server = None
    if settings.metrics_port is not None:
        from machtigen.metrics import prepare_multiprocess, serve_metrics

        prepare_multiprocess(settings.metrics_dir)
        metrics_server = serve_metrics(
            settings.metrics_host, settings.metrics_port, settings.database_url
        )
    import uvicorn

    try:
        uvicorn.run(
            "api.main:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            proxy_headers=False,  # the app itself believes only MACHTIGEN_TRUSTED_PROXIES
            http="api.server:NoDelayHttpToolsProtocol",
            loop="uvloop",
            timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_seconds)),
            timeout_worker_healthcheck=settings.worker_healthcheck_timeout_seconds,
            log_config=None,
            access_log=settings.access_log,
        )
    finally:
        if metrics_server is not None:
            metrics_server.shutdown()


@main.group()
def dev() -> None:
    """Development helpers (need MACHTIGEN_DEV_BROKER=true)."""


@dev.command("login")
@click.argument("means", type=click.Choice(["digid", "eidas", "eherkenning"]))
@click.option("--url", default=None, help="The service's address; default MACHTIGEN_PUBLIC_URL.")
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
def dev_login(means: str, url: str | None, loa: str, **values: str | None) -> None:
    """Log in through the development broker as a browser would (the whole authorization code
    flow) and print the session cookie, e.g. for curl: ``curl -b "$(machtigen dev login ...)"``."""
    from machtigen.identity.dev_login import DevLoginFailed, walk

    settings = get_settings()
    fields = {key: value for key, value in values.items() if value}
    fields["acr"] = loa
    try:
        cookie = walk(url or settings.public_url, means, fields)
    except DevLoginFailed as failed:
        raise click.ClickException(str(failed)) from failed
    click.echo(cookie)


@main.command()
@click.option(
    "--only",
    multiple=True,
    type=click.Choice(JOB_NAMES),
    help="Run only these jobs (repeatable); default all.",
)
def jobs(only: tuple[str, ...]) -> None:
    """Run the periodic jobs once: safe from cron on several hosts, and to run twice.

    SIGTERM: the batch in hand commits, the job's lease is released, the rest is skipped.
    """
    from machtigen.audit.seal import sealer_for
    from machtigen.jobs import Jobs, JobsConfig
    from machtigen.keys import AUDIT_CHECKPOINT, AUDIT_MAC
    from machtigen.shutdown import Shutdown

    settings = _start(AUDIT_MAC, AUDIT_CHECKPOINT)
    shutdown = Shutdown().install()
    engine = make_engine(settings.database_url)
    factory = session_factory(engine)
    clock = SystemClock()
    runner = Jobs(
        uow=lambda: transaction(factory),
        clock=clock,
        authz=get_authorizer(),
        config=JobsConfig.from_settings(settings),
        sealer=sealer_for(engine, settings, clock, should_stop=shutdown.requested),
        should_stop=shutdown.requested,
    )
    refused = False
    try:
        for result in runner.run(only or JOB_NAMES):
            if result.refused:
                refused = True
                click.echo(f"{result.name}: refused: {result.refused}", err=True)
                continue
            if result.stopped:
                state = f"{result.done} done, stopped (shutdown)"
            elif result.ran:
                state = f"{result.done} done"
            else:
                state = "skipped (another host holds it)"
            click.echo(f"{result.name}: {state}")
    finally:
        engine.dispose()
    if refused:
        raise SystemExit(1)


@main.command("send-notifications")
@click.option("--once", is_flag=True, help="Deliver what is due now and stop.")
@click.option(
    "--metrics-port", type=int, default=None, help="Serve this sender's Prometheus metrics."
)
def send_notifications(once: bool, metrics_port: int | None) -> None:
    """Deliver the notification outbox over SMTP (run one or more of these processes).

    SIGTERM: the notification being sent is finished and recorded, the rest of the batch is
    handed back at once, and the process exits.
    """
    import asyncio
    import signal

    from machtigen.keys import AUDIT_MAC
    from machtigen.notifications.sender import Sender, SenderConfig

    settings = _start(AUDIT_MAC)
    if metrics_port is not None:
        from machtigen.metrics import serve_metrics

        serve_metrics(settings.metrics_host, metrics_port, None)
    engine = make_engine(settings.database_url)
    factory = session_factory(engine)
    sender = Sender(
        uow=lambda: transaction(factory),
        clock=SystemClock(),
        authz=get_authorizer(),
        config=SenderConfig.from_settings(settings),
    )

    async def deliver() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        if not once:
            await sender.run(stop=stop)
            return 0
        total = 0
        while not stop.is_set() and (report := await sender.run_once(stop)).claimed:
            total += report.sent
        return total

    try:
        sent = asyncio.run(deliver())
        if once:
            click.echo(f"{sent} notifications sent")
    finally:
        engine.dispose()


@main.group()
def audit() -> None:
    """The audit trail: seal it, verify it, publish the key that signs its checkpoints."""


@audit.command("seal")
@click.option("--max-batches", type=int, default=None, help="Stop after this many batches.")
def audit_seal(max_batches: int | None) -> None:
    """Chain and sign the committed audit events (safe on several hosts at once).

    Events whose MAC does not verify are refused, named here and exit status 4.
    """
    from machtigen import logs
    from machtigen.audit.seal import sealer_for
    from machtigen.keys import AUDIT_CHECKPOINT, AUDIT_MAC
    from machtigen.shutdown import Shutdown

    settings = _start(AUDIT_MAC, AUDIT_CHECKPOINT)
    shutdown = Shutdown().install()
    engine = make_engine(settings.database_url)
    log = logs.get_logger("machtigen.audit")
    try:
        with logs.bound(request_id=logs.new_id(), job="audit_seal"):
            sealer = sealer_for(engine, settings, SystemClock(), should_stop=shutdown.requested)
            report = sealer.run(max_batches=max_batches)
            log.info(
                "sealed",
                events=report.sealed,
                checkpoints=len(report.checkpoints),
                tree_size=report.tree_size,
                refused=len(report.refused),
                stopped=report.stopped,
            )
    finally:
        engine.dispose()
    click.echo(
        f"sealed {report.sealed} events in {len(report.checkpoints)} checkpoints;"
        f" tree size {report.tree_size}; {report.exported} checkpoints exported"
    )
    for refusal in report.refused:
        click.echo(f"REFUSED {refusal}", err=True)
    if report.waiting_for:
        click.echo(
            "not sealed further: transactions still writing audit events: "
            + ", ".join(report.waiting_for),
            err=True,
        )
        raise SystemExit(3)
    if report.refused:
        raise SystemExit(4)


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


@main.group()
def keys() -> None:
    """The service's keys: one set per purpose (access_token, audit_checkpoint, audit_mac,
    login_state), each key with an id. Give every host the same files."""


_PURPOSE = click.Choice(["access_token", "audit_checkpoint", "audit_mac", "login_state"])


@keys.command("generate")
@click.option("--purpose", "purposes", multiple=True, type=_PURPOSE, help="Default: all.")
def keys_generate(purposes: tuple[str, ...]) -> None:
    """Make the key sets that do not exist yet (an existing one is never overwritten)."""
    from machtigen.keys import PURPOSES, generate

    settings = get_settings()
    for name in purposes or tuple(PURPOSES):
        purpose = PURPOSES[name]
        path = purpose.path(settings)
        made = generate(purpose, path, SystemClock().now())
        click.echo(f"{name}: {'made' if made else 'exists'} {path} ({purpose.variable()})")


@keys.command("rotate")
@click.option("--purpose", "purposes", multiple=True, type=_PURPOSE, required=True)
@click.option(
    "--activate-after",
    default="0s",
    show_default=True,
    help="When the new key starts signing (e.g. 1h): longer than it takes to give every host"
    " the new file. Until then it only verifies, and is already published.",
)
def keys_rotate(purposes: tuple[str, ...], activate_after: str) -> None:
    """Add a new signing key; the replaced key keeps verifying (see docs/operations.md)."""
    from machtigen.keys import PURPOSES, read_keyset, rotate, write_keyset

    settings = get_settings()
    delay = _duration(activate_after)
    for name in purposes:
        purpose = PURPOSES[name]
        path = purpose.path(settings)
        if not path.exists():
            raise click.ClickException(f"{path} does not exist: `machtigen keys generate` first")
        keyset, new = rotate(read_keyset(purpose, path), settings, SystemClock().now(), delay)
        write_keyset(keyset, path)
        click.echo(f"{name}: new key {new.kid} signs from {new.active_from.isoformat()}")


@keys.command("list")
def keys_list() -> None:
    """Every key: purpose, id, state, when it signs from, until when it verifies."""
    from machtigen.keys import PURPOSES, read_keyset

    settings = get_settings()
    now = SystemClock().now()
    for name, purpose in PURPOSES.items():
        path = purpose.path(settings)
        if not path.exists():
            click.echo(f"{name}\t-\tmissing: {path} ({purpose.variable()})")
            continue
        keyset = read_keyset(purpose, path)
        signer = keyset.signer(now) if any(k.active_from <= now for k in keyset.keys) else None
        for key in keyset.keys:
            until = key.verify_until.isoformat() if key.verify_until else "always"
            click.echo(
                f"{name}\t{key.kid}\t{key.state(now, signer)}\tfrom {key.active_from.isoformat()}"
                f"\tverifies until {until}"
            )


def _duration(text: str) -> timedelta:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value = text.strip().lower()
    try:
        if value and value[-1] in units:
            return timedelta(seconds=float(value[:-1]) * units[value[-1]])
        return timedelta(seconds=float(value))
    except ValueError as error:
        raise click.BadParameter(f"not a duration: {text!r} (e.g. 90s, 30m, 1h, 2d)") from error


@main.command("settings")
def settings_table() -> None:
    """Print every setting as a Markdown table (docs/operations.md is made from it)."""
    from machtigen.settings_doc import settings_markdown

    click.echo(settings_markdown(), nl=False)


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
