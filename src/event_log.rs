//! Event log.
