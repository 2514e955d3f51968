//! The settlement crate's integration tests, one binary (compiled and
//! linked once): the charge rules, the CLI, group commit, properties, the
//! `serve` binary, replicas on one database, and the crash suites.

mod charge_rules;
mod cli;
mod common;
mod contract_crash;
mod dispute_crash;
mod group_commit;
mod inference;
mod network;
mod outbox;
mod payout_crash;
mod properties;
mod replicas;
mod serve;
mod server_crash;
