//! The demo's console step: the explorer and a settlement's page read
//! over HTTP like a browser would, and with `--screenshots DIR` every
//! page photographed in Chromium at a desktop's and a phone's width.

use std::fmt::Write as _;
use std::path::Path;

use crate::console::store::{self, Filter};
use crate::records::json::{self, Map, Value};
use crate::service::Service;
use crate::testkit::PROVIDER;

pub(super) async fn run(
    base: &str,
    http: &reqwest::Client,
    service: &Service,
    admin_token: &str,
    screenshots: Option<&Path>,
    out: &mut String,
) -> Result<(), String> {
    let newest = store::lines(&service.store, Filter::Provider(PROVIDER), i64::MAX, 1)
        .await
        .map_err(|e| e.to_string())?;
    let line = newest.first().ok_or("Bob has no settlement to show")?;
    let get = |path: String| async move {
        let r = http
            .get(format!("{base}{path}"))
            .send()
            .await
            .map_err(|e| format!("{path}: {e}"))?;
        let status = r.status().as_u16();
        let text = r.text().await.map_err(|e| format!("{path}: {e}"))?;
        if status != 200 {
            return Err(format!("{path} answered {status}"));
        }
        Ok::<_, String>(text)
    };
    let found = get(crate::console::link(
        "/console/settlements",
        &[("q", &line.uri)],
    ))
    .await?;
    if !found.contains(&crate::console::page::escape(
        &crate::console::public::settlement_href(&line.uri),
    )) {
        return Err("the explorer did not find Bob's settlement".into());
    }
    let page = get(crate::console::public::settlement_href(&line.uri)).await?;
    if !page.contains("<strong>Verified.</strong>") {
        return Err("Bob's settlement is not shown verified".into());
    }
    writeln!(
        out,
        "{base}/console: the explorer finds Bob's settlement {} and shows it verified, every check recomputed",
        line.uri
    )
    .ok();
    let Some(dir) = screenshots else {
        writeln!(
            out,
            "(`demo --screenshots DIR` photographs every page in Chromium)"
        )
        .ok();
        return Ok(());
    };
    let mut args = Map::new();
    for (k, v) in [
        ("base", base),
        ("dir", &dir.display().to_string()),
        ("token", admin_token),
        ("settlement", &line.uri),
        ("authorization", &line.authorization_uri),
        ("provider", PROVIDER),
    ] {
        args.insert(k.into(), Value::from(v));
    }
    let arg = json::to_canonical_string(&Value::Object(args));
    let written = tokio::task::spawn_blocking(move || {
        crate::console::browser::run_node("scripts/console-screenshots.mjs", &[arg])
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("screenshots: {e}"))?;
    let n = written.lines().filter(|l| l.ends_with(".png")).count();
    writeln!(out, "{n} screenshots written to {}", dir.display()).ok();
    Ok(())
}
