//! Site rules.
