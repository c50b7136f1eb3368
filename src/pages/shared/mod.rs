//! What more than one extension page shows or does the same way (the popup, the DevTools
//! panel, the side panel): written once here, so the surfaces cannot drift apart.

pub mod findings;
pub mod log;
