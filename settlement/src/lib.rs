//! The settlement engine of an open compute exchange. See ARCHITECTURE.md
//! for the code map and the invariants.
//!
//! Data flows one way: `records` (parse, validate, canonical JSON, CIDs) ->
//! `verify` (signatures, windows, commitments, ceilings) -> later stages.
//! Both are pure: no I/O, no clock, no panics on outside input.

pub mod accounts;
pub mod api;
pub mod audit;
pub mod authentic;
pub mod authorize;
pub mod cmd;
pub mod computation;
pub mod console;
pub mod contract;
pub mod did_document;
pub mod dispute;
pub mod egress;
pub mod exchange;
pub mod failure;
pub mod firehose;
pub mod identity;
pub mod inference;
#[cfg(test)]
mod layers;
pub mod metrics;
pub mod payout;
pub mod proof_verifier;
pub mod publish;
pub mod records;
pub mod secrets;
pub mod service;
pub mod store;
pub mod telemetry;
pub mod testkit;
pub mod tls;
pub mod verify;
