//! End-to-end tests. One binary, one module per concern.

mod api;
mod app;
mod audit;
mod chain;
mod interop;
mod support;
mod token;
