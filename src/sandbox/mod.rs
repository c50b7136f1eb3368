//! The sandbox widget model.
