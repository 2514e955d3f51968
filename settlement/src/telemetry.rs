//! Logs and traces. Logs go to stderr (`RUST_LOG` filters, `info` by
//! default). When `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, spans are also exported
//! over OTLP/HTTP (protobuf) in batches; [`Telemetry::shutdown`] flushes
//! them. Spans carry URIs, DIDs and codes, never keys or tokens.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithHttpConfig as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Keeps the exporter alive; flush it with [`Telemetry::shutdown`].
pub struct Telemetry {
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

fn otlp_configured() -> bool {
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|k| std::env::var(k).is_ok_and(|v| !v.is_empty()))
}

/// Installs the global subscriber. Call once, at start-up.
pub fn init() -> Result<Telemetry, String> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(crate::secrets::ScrubbingStderr)
        .with_target(false);
    let registry = tracing_subscriber::registry().with(filter).with(fmt);
    if !otlp_configured() {
        registry.try_init().map_err(|e| e.to_string())?;
        return Ok(Telemetry { provider: None });
    }
    for key in [
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    ] {
        if let Ok(v) = std::env::var(key)
            && !v.is_empty()
        {
            let url = reqwest::Url::parse(&v).map_err(|e| format!("{key}: not a URL: {e}"))?;
            crate::tls::require_https(key, &url)?;
        }
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(crate::tls::blocking_client()?)
        .build()
        .map_err(|e| format!("OTLP exporter: {e}"))?;
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name("settlement")
                .build(),
        )
        .build();
    let tracer = provider.tracer("settlement");
    registry
        .with(tracing_opentelemetry::layer().with_tracer(tracer))
        .try_init()
        .map_err(|e| e.to_string())?;
    Ok(Telemetry {
        provider: Some(provider),
    })
}

impl Telemetry {
    /// Exports what is buffered and stops the exporter.
    pub fn shutdown(self) {
        if let Some(p) = self.provider
            && let Err(e) = p.shutdown()
        {
            eprintln!("settlement: flushing traces failed: {e}");
        }
    }
}
