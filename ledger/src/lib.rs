//! Double-entry ledger. See ARCHITECTURE.md.
