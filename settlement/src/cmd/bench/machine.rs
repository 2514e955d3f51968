//! Figures of the machine: raw P-256 verification rates on all cores,
//! process and machine CPU seconds, peak memory.

use super::*;

// ---------------------------------------------------------------------
// Raw verification rates

/// A raw P-256 verification rate, all cores busy.
#[derive(Clone, Debug)]
pub struct VerifyRate {
    pub name: String,
    pub per_second: f64,
}

/// Runs `f` on every core for `seconds` and returns calls per second.
pub(super) fn rate_on_all_cores(seconds: f64, f: &(dyn Fn() + Sync)) -> f64 {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let start = Instant::now();
    let limit = Duration::from_secs_f64(seconds);
    let total = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut n = 0usize;
                while start.elapsed() < limit {
                    for _ in 0..64 {
                        f();
                    }
                    n += 64;
                }
                total.fetch_add(n, Ordering::Relaxed);
            });
        }
    });
    total.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// The engine's own verifier and every other one this machine offers,
/// each over a real receipt's signing input, on all cores.
pub fn verify_rates(seconds: f64) -> Vec<VerifyRate> {
    let w = workload("verify-rate", 1, 1, 1, Datetime::now());
    let receipt = &w.receipts[0];
    let attestation = &w.shared[1];
    let key = attestation
        .value
        .get("publicKey")
        .and_then(Value::as_str)
        .and_then(|k| crypto::parse_public_key(k).ok())
        .expect("the workload's attestation key parses");
    let sig = receipt
        .value
        .get("enclaveSignature")
        .and_then(Value::as_str)
        .expect("the workload's receipt is signed")
        .to_owned();
    let msg = crate::verify::receipt_signing_input(&receipt.value);
    let mut out = vec![VerifyRate {
        name: format!("engine ({})", crypto::VERIFIER),
        per_second: rate_on_all_cores(seconds, &|| {
            crypto::verify_b64_der(&key, &msg, &sig).expect("verifies");
        }),
    }];
    let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &sig)
        .expect("base64 signature");
    {
        use p256::ecdsa::signature::Verifier as _;
        let parsed = crypto::parse_der(&der).expect("strict DER");
        out.push(VerifyRate {
            name: "p256 crate (RustCrypto)".into(),
            per_second: rate_on_all_cores(seconds, &|| {
                key.verify(&msg, &parsed).expect("verifies");
            }),
        });
    }
    {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
        let point = key.to_encoded_point(false);
        let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point.as_bytes().to_vec());
        out.push(VerifyRate {
            name: "aws-lc-rs".into(),
            per_second: rate_on_all_cores(seconds, &|| {
                public.verify(&msg, &der).expect("verifies");
            }),
        });
    }
    if let Some(rate) = openssl_speed(seconds) {
        out.push(rate);
    }
    out
}

/// `openssl speed ecdsap256` on every core, when the command exists.
pub(super) fn openssl_speed(seconds: f64) -> Option<VerifyRate> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let secs = (seconds.ceil() as u64).max(1).to_string();
    let out = Command::new("openssl")
        .args([
            "speed",
            "-seconds",
            &secs,
            "-multi",
            &threads.to_string(),
            "ecdsap256",
        ])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // The summary line ends "... sign/s verify/s"; with -multi it is
    // "ecdsa (nistp256) ... sign verify sign/s verify/s" over all processes.
    let line = text.lines().rev().find(|l| l.contains("nistp256"))?;
    let verify: f64 = line.split_whitespace().last()?.parse().ok()?;
    Some(VerifyRate {
        name: "openssl speed ecdsap256".into(),
        per_second: verify,
    })
}

// ---------------------------------------------------------------------
// Process and machine figures

/// User + system CPU seconds of process `pid`.
pub(super) fn process_cpu_s(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces and parens).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15 of stat; 12 and 13 here. Linux
    // reports them in USER_HZ, 100 per second.
    (ticks(11) + ticks(12)) as f64 / 100.0
}

/// Busy CPU seconds of the whole machine, all cores.
pub(super) fn machine_cpu_s() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return 0.0;
    };
    let Some(line) = stat.lines().next() else {
        return 0.0;
    };
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal
    let busy: u64 = [0, 1, 2, 5, 6, 7].iter().filter_map(|&i| v.get(i)).sum();
    busy as f64 / 100.0
}

/// Peak resident memory of process `pid`, in MiB.
pub(super) fn peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}
