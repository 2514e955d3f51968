//! `cargo bench -p settlement --bench settle`: `settlement bench` on both
//! backends with the binary cargo built alongside (`BENCH_RECEIPTS`, default
//! 20000; `BENCH_POSTGRES_URL` for the server).

use clap::Parser as _;

#[derive(clap::Parser)]
struct Args {
    #[command(flatten)]
    bench: settlement::cmd::bench::BenchArgs,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let receipts = std::env::var("BENCH_RECEIPTS").unwrap_or_else(|_| "20000".into());
    // `cargo bench` passes `--bench`; the bench takes its settings from the
    // environment.
    let mut args = Args::parse_from(["settle", "--receipts", receipts.as_str()]).bench;
    args.server = Some(env!("CARGO_BIN_EXE_settlement").into());
    match settlement::cmd::bench::run(&args).await {
        Ok(out) => println!("{out}"),
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::exit(1);
        }
    }
}
