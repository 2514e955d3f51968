//! `settlement bench --console`: the web console's pages timed over HTTP
//! against a database holding a million settlements (`--history`).
//! Printed per backend and page: the median, 95th percentile and slowest
//! of `TIMED` requests, in milliseconds, after `WARM` untimed ones.

use std::fmt::Write as _;

use super::*;
use crate::exchange::{Exchange, FeePolicy};
use crate::service::Service;

const WARM: usize = 3;
const TIMED: usize = 40;

pub(super) async fn run(args: &BenchArgs) -> Result<String, String> {
    let history = if args.history == 0 {
        1_000_000
    } else {
        args.history
    };
    let mut out = format!(
        "console pages at {history} settlements: milliseconds per page over HTTP ({TIMED} requests after {WARM})\n\n\
         {:<10} {:<44} {:>8} {:>8} {:>8} {:>8}\n",
        "backend", "page", "p50", "p95", "max", "KiB"
    );
    for &backend in &args.backends {
        let dir = std::env::temp_dir().join(format!(
            "settlement-bench-console-{}-{}",
            std::process::id(),
            backend.name()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let db = Database::create(backend, args, &dir).await?;
        eprintln!("bench: {}: writing {history} settlements", backend.name());
        let result = async {
            let seeded = seed_history(&db, history).await?;
            eprintln!("bench: written in {seeded:.0} s");
            pages(backend, &db, history, &mut out).await
        }
        .await;
        if !args.keep {
            db.drop_it().await;
            let _ = std::fs::remove_dir_all(&dir);
        }
        result?;
    }
    Ok(out)
}

async fn pages(
    backend: Backend,
    db: &Database,
    history: usize,
    out: &mut String,
) -> Result<(), String> {
    let clock: Arc<dyn ledger::Clock> = Arc::new(ledger::SystemClock);
    let store = crate::store::Store::open(&db.url, clock.clone())
        .await
        .map_err(|e| e.to_string())?;
    let service = Service::new(
        Exchange::new(EXCHANGE, testkit::key("bench exchange")),
        FeePolicy::default(),
        store,
        Some(ADMIN_TOKEN.to_owned()),
        clock,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let base = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::api::serve(
        listener,
        service,
        crate::api::Limits::default(),
        async {
            let _ = stopped.await;
        },
    ));
    let n = history as i64;
    let settlement = format!("at://{EXCHANGE}/dev.cocore.compute.settlement/h{}", n / 3);
    let link = crate::console::link;
    let cases: Vec<(&str, String, &str)> = vec![
        ("exchange (totals)", "/console".into(), "Totals"),
        (
            "explorer, newest page",
            "/console/settlements".into(),
            "Older settlements",
        ),
        (
            "explorer, a page half-way back",
            link("/console/settlements", &[("cursor", &(n / 2).to_string())]),
            "Older settlements",
        ),
        (
            "explorer, one settlement by URI",
            link("/console/settlements", &[("q", &settlement)]),
            "table class=\"lines\"",
        ),
        (
            "explorer, a provider (1% of all)",
            link(
                "/console/settlements",
                &[("q", "did:web:p7.history.example")],
            ),
            "Older settlements",
        ),
        (
            "explorer, a requester, page 2",
            link(
                "/console/settlements",
                &[
                    ("q", "did:web:r7.history.example"),
                    ("cursor", &(n / 2).to_string()),
                ],
            ),
            "table class=\"lines\"",
        ),
        (
            "settlement, checks recomputed",
            link("/console/settlement", &[("uri", &settlement)]),
            "id=\"verdict\"",
        ),
        (
            "authorization, 50 charges each checked",
            link(
                "/console/authorization",
                &[(
                    "uri",
                    "at://did:web:r7.history.example/dev.cocore.compute.paymentAuthorization/h",
                )],
            ),
            "progress id=\"budget\"",
        ),
        (
            "provider (payouts and settlements)",
            link(
                "/console/provider",
                &[("did", "did:web:p7.history.example")],
            ),
            "Older settlements",
        ),
    ];
    let http = reqwest::Client::new();
    for (name, path, expect) in cases {
        let mut times = Vec::with_capacity(TIMED);
        let mut bytes = 0usize;
        for i in 0..WARM + TIMED {
            let t = Instant::now();
            let r = http
                .get(format!("{base}{path}"))
                .send()
                .await
                .map_err(|e| format!("{path}: {e}"))?;
            let status = r.status().as_u16();
            let body = r.text().await.map_err(|e| format!("{path}: {e}"))?;
            let elapsed = t.elapsed();
            if status != 200 || !body.contains(expect) {
                return Err(format!("{path} answered {status} without {expect:?}"));
            }
            bytes = body.len();
            if i >= WARM {
                times.push(elapsed.as_secs_f64() * 1000.0);
            }
        }
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        let _ = writeln!(
            out,
            "{:<10} {:<44} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
            backend.name(),
            name,
            at(0.5),
            at(0.95),
            at(1.0),
            bytes as f64 / 1024.0
        );
    }
    let _ = stop.send(());
    let _ = server.await;
    Ok(())
}
