//! Typed calls.
