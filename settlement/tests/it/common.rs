//! Plumbing shared by the tests that run the `settlement` binary against a
//! fresh database and a local chain: temporary directories, PostgreSQL
//! databases made and dropped per test, and key files written 0600.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A new empty directory under the system's temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("settlement-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn pg_admin_url() -> String {
    std::env::var("LEDGER_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A fresh database for a test: a file under `dir`, or a new PostgreSQL
/// database named after `tag` and the process.
pub async fn database(postgres: bool, dir: &Path, tag: &str) -> String {
    if !postgres {
        return format!("sqlite:{}", dir.join("settlement.db").display());
    }
    use sqlx::Connection as _;
    let admin = pg_admin_url();
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is required at {admin}: {e}"));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("settlement_{tag}_{}_{nanos}", std::process::id());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .expect("create database");
    format!("{}/{name}", &admin[..admin.rfind('/').unwrap()])
}

/// Drops a PostgreSQL database made by [`database`] (nothing for SQLite).
pub async fn drop_database(url: &str) {
    if !url.starts_with("postgres") {
        return;
    }
    use sqlx::Connection as _;
    let name = &url[url.rfind('/').unwrap() + 1..];
    if let Ok(mut c) = sqlx::PgConnection::connect(&pg_admin_url()).await {
        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
    }
}

/// Writes a secret (a key in hex) to a new file only its owner can read.
pub fn write_secret(path: &Path, text: &str) {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// `unix_s` as a JSON datetime string.
pub fn rfc3339(unix_s: i64) -> String {
    format!(
        "\"{}\"",
        settlement::records::formats::Datetime::from_unix_nanos(i128::from(unix_s) * 1_000_000_000)
    )
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Dates a scenario's records so that they are valid at `now` (Unix
/// seconds), for a server on the wall clock.
pub fn valid_at(sc: &mut settlement::testkit::Scenario, now: i64) {
    use settlement::testkit::set;
    set(
        &mut sc.authorization,
        "expiresAt",
        &rfc3339(now + 10 * 86_400),
    );
    set(&mut sc.authorization, "createdAt", &rfc3339(now - 86_400));
    set(&mut sc.job, "createdAt", &rfc3339(now - 3600));
    set(&mut sc.job, "expiresAt", &rfc3339(now + 86_400));
    set(&mut sc.attestation, "attestedAt", &rfc3339(now - 3600));
    set(&mut sc.attestation, "expiresAt", &rfc3339(now + 86_400));
    set(&mut sc.receipt, "startedAt", &rfc3339(now - 600));
    set(&mut sc.receipt, "completedAt", &rfc3339(now - 595));
}

/// Spawns `settlement serve` as `cmd` says (stderr piped) and waits for
/// the address it says it listens on: the child and its base URL.
pub fn spawn_serve(cmd: &mut std::process::Command) -> (std::process::Child, String) {
    use std::io::{BufRead as _, BufReader};
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn settlement serve");
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        // Read to the end, so the server never blocks on a full pipe.
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent && let Some(rest) = line.split("listening on ").nth(1) {
                let _ = tx.send(rest.trim().to_owned());
                sent = true;
            }
        }
    });
    let base = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the server never said where it listens");
    (child, base)
}

/// The crash suites' seed: `CRASH_SEED` to replay a run, else the clock.
pub fn crash_seed() -> u64 {
    std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        })
}

/// xorshift64*: small, seeded, good enough to pick moments.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
