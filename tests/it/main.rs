//! End-to-end tests. One binary, one module per concern.

mod api;
mod app;
mod audit;
mod interop;
mod support;
