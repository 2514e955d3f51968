//! The house's shape, checked: each top-level module of `settlement/src`
//! imports only modules of a lower layer (so there is no circle), and no
//! source file outgrows one sitting. `scripts/module-graph.py` prints the
//! same graph.

use std::collections::BTreeMap;
use std::path::Path;

/// Layers, bottom first. A module may import only from earlier rows.
const LAYERS: &[&[&str]] = &[
    &["records", "secrets", "tls"],
    &[
        "verify",
        "accounts",
        "metrics",
        "telemetry",
        "egress",
        "computation",
    ],
    &["inference"],
    &["exchange", "authorize", "testkit"],
    &["identity", "store", "proof_verifier", "did_document"],
    &["failure"],
    &["dispute"],
    &["authentic", "payout", "audit", "publish"],
    &["contract"],
    &["service"],
    &["firehose", "console"],
    &["api"],
    &["cmd"],
];

/// Lines a source file may have (the attack catalogue and tests live
/// outside `settlement/src`).
const FILE_LINES_MAX: usize = 700;

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|row| row.contains(&module))
}

/// Top-level module -> (file, modules it names as `crate::X`).
fn imports(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<(String, String)>>) {
    for entry in std::fs::read_dir(dir).expect("settlement/src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            imports(&path, root, out);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(root).expect("under root");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|s| s.trim_end_matches(".rs").to_owned())
            .expect("a file name");
        let text = std::fs::read_to_string(&path).expect("source is UTF-8");
        let lines = text.lines().count();
        assert!(
            lines <= FILE_LINES_MAX,
            "{} has {lines} lines, more than {FILE_LINES_MAX}: split it along the data's path",
            rel.display()
        );
        if top == "main" || top == "lib" || top == "layers" {
            continue;
        }
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let found = out.entry(top.clone()).or_default();
        for line in code.lines() {
            let line = line.split("//").next().unwrap_or("");
            let mut rest = line;
            while let Some(i) = rest.find("crate::") {
                rest = &rest[i + "crate::".len()..];
                let group = rest.strip_prefix('{');
                let names: Vec<&str> = match group {
                    Some(g) => g
                        .split('}')
                        .next()
                        .unwrap_or("")
                        .split(',')
                        .map(|n| n.trim().split("::").next().unwrap_or(""))
                        .collect(),
                    None => vec![
                        rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                            .next()
                            .unwrap_or(""),
                    ],
                };
                for name in names.into_iter().filter(|n| !n.is_empty() && *n != top) {
                    found.push((rel.display().to_string(), name.to_owned()));
                }
            }
        }
    }
}

#[test]
fn modules_import_only_from_lower_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = BTreeMap::new();
    imports(&root, &root, &mut graph);
    let mut upward = Vec::new();
    for (module, edges) in &graph {
        let Some(mine) = layer_of(module) else {
            panic!("module {module} has no layer in LAYERS: place it");
        };
        for (file, name) in edges {
            match layer_of(name) {
                Some(theirs) if theirs < mine => {}
                Some(_) => upward.push(format!("{file}: {module} imports {name}")),
                None => panic!("{file} names crate::{name}, which has no layer in LAYERS"),
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that are not downward:\n{}",
        upward.join("\n")
    );
}
