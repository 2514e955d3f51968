//! End-to-end tests. One binary, one module per concern.

mod interop;
mod support;
