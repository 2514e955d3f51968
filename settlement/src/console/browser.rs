//! Debian's Chromium and the Node scripts that drive it
//! (`scripts/console-browser.mjs`, playwright-core): the console's
//! browser tests and `settlement demo --screenshots`. Not used by
//! `serve`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

use crate::payout::local::{ensure_node_tools, workspace_root};

const CHROMIUM: &str = "/usr/bin/chromium";

/// The browser: `$CHROMIUM`, or Debian's `chromium`, installed with
/// apt-get when missing and this process may (as `.ci/run` does).
pub fn chromium() -> Result<PathBuf, String> {
    static INSTALL: Mutex<()> = Mutex::new(());
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Ok(p.into());
    }
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if std::path::Path::new(CHROMIUM).exists() {
        return Ok(CHROMIUM.into());
    }
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .map_err(|e| format!("cannot run apt-get: {e}"))
            .and_then(|o| {
                if o.status.success() {
                    Ok(())
                } else {
                    Err(String::from_utf8_lossy(&o.stderr).into_owned())
                }
            })
    };
    apt(&["update", "-qq"])
        .and_then(|()| {
            apt(&[
                "install",
                "-y",
                "-qq",
                "--no-install-recommends",
                "chromium",
                "fonts-dejavu-core",
            ])
        })
        .map_err(|e| {
            format!(
                "Chromium is needed at {CHROMIUM} (Debian's package `chromium`) and could not be installed: {e}"
            )
        })?;
    Ok(CHROMIUM.into())
}

/// Runs `node SCRIPT ARGS…` from the workspace root with the browser at
/// hand; its output (stdout then stderr) whether it succeeded or not.
pub fn run_node(script: &str, args: &[String]) -> Result<String, String> {
    let browser = chromium()?;
    let root = ensure_node_tools()?;
    let out = Command::new("node")
        .arg(root.join(script))
        .args(args)
        .current_dir(workspace_root())
        .env("CHROMIUM", browser)
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}
