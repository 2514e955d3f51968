use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "settlement",
    version,
    about = "Settlement engine of an open compute exchange"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decide whether a receipt may be charged, from a bundle of its four
    /// records. Prints one JSON object; exits 0 (chargeable), 1 (rejected)
    /// or 2 (unusable input).
    VerifyCharge {
        /// JSON file {"exchange", "now", "job", "authorization", "attestation", "receipt"}.
        #[arg(long)]
        bundle: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::VerifyCharge { bundle } => match read_bounded(&bundle) {
            Ok(bytes) => settlement::cli::verify_charge(&bytes),
            Err(e) => settlement::cli::Outcome {
                exit: 2,
                stdout: String::new(),
                stderr: format!("verify-charge: cannot read {}: {e}\n", bundle.display()),
            },
        },
    };
    // Nothing useful can be done if stdout or stderr is closed.
    let _ = std::io::stdout().write_all(outcome.stdout.as_bytes());
    let _ = std::io::stderr().write_all(outcome.stderr.as_bytes());
    ExitCode::from(u8::try_from(outcome.exit).unwrap_or(2))
}

/// Reads at most one byte past the limit, so an oversized file is refused
/// without being loaded whole.
fn read_bounded(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let limit = settlement::cli::BUNDLE_BYTES_MAX as u64 + 1;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}
