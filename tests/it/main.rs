//! End-to-end tests. One binary, one module per concern.

mod api;
mod app;
mod interop;
mod support;
