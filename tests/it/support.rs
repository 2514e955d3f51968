//! Shared helpers: paths and the Python environment for interop checks.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_owned()
}

/// Python packages the interop scripts need, pinned.
const PY_REQUIREMENTS: &[&str] = &["cryptography==46.0.3", "schemathesis==4.32.5"];

/// A Python interpreter with the interop requirements installed, in a venv
/// under `target/` (created once, reused by later runs). Panics with the
/// reason when it cannot be had: these checks are not optional.
pub fn python() -> &'static Path {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let venv = root().join("target").join("interop-venv");
        let py = venv.join("bin").join("python3");
        let stamp = venv.join(".requirements");
        let wanted = PY_REQUIREMENTS.join("\n");
        if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) && py.exists() {
            return py;
        }
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
        run(Command::new(&py)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(PY_REQUIREMENTS));
        std::fs::write(&stamp, &wanted).expect("write venv stamp");
        py
    })
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh temporary directory under `target/`, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let unique = format!(
            "{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
        let dir = root().join("target").join("tmp").join(unique);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
