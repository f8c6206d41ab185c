"""OpenTelemetry traces, optional: on only when the standard ``OTEL_`` variables ask for them.

``OTEL_TRACES_EXPORTER`` (``otlp``, the default once ``OTEL_EXPORTER_OTLP_ENDPOINT`` or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` is set, or ``console``) switches tracing on;
``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES`` and the exporter's own variables are read
by the SDK. The packages are an extra: ``pip install 'machtigen[otel]'``. Each log line of a
traced request carries its ``trace_id`` and ``span_id``.
"""

import os
from typing import Any

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from machtigen import logs

log = logs.get_logger("machtigen.tracing")

NO_NATIVE_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
"""For every FastAPI app here: FastAPI's own OpenTelemetry layer stays off. Traces come from
``install_tracing`` alone (one span per request, not two once a provider is set), and a
request does not pay for FastAPI asking the global providers, four environment variables
among it, whether they are configured, in the main app and again in the mounted API."""


def wanted() -> str | None:
    """The exporter the environment asks for, or None (tracing off)."""
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return None
    if exporter:
        return exporter
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    ):
        return "otlp"
    return None


def install_tracing(app: FastAPI, exporter: Any = None) -> bool:
    """Trace every request of ``app`` when asked; ``exporter`` overrides the variables (tests)."""
    kind = "given" if exporter is not None else wanted()
    if kind is None:
        return False
    try:
        from opentelemetry import trace
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SimpleSpanProcessor,
        )
    except ImportError:
        log.warning("OTEL_ variables are set but OpenTelemetry is not installed (machtigen[otel])")
        return False
    provider = TracerProvider(resource=Resource.create({"service.name": "machtigen"}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif kind == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider)
    return True
