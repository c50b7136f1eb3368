//! End-to-end test harness for Jivo Widget Injector.
//!
//! Drives headless Chromium (through chromedriver) and Firefox (through geckodriver) with the
//! built extension loaded, against pages from a fixture server inside the test process.
//!
//! - [`server`]: the fixture HTTP server (files, `/strict/` CSP variants, programmatic routes).
//! - [`webdriver`]: a minimal synchronous W3C WebDriver client.
//! - [`browser`]: one browser with the extension loaded, and the helpers scenarios use.
//! - [`runner`]: scenarios, their context and the test main used by `tests/e2e.rs`.

pub mod browser;
pub mod popup_port;
mod reaper;
pub mod runner;
pub mod server;
pub mod site;
pub mod spa_patterns;
pub mod webdriver;
pub mod widget;

use std::path::{Path, PathBuf};

use browser::BrowserKind;

/// `siteWidget.graceMs` for scenarios whose pages have no JivoChat of their own and whose
/// subject is not the grace period: ours is injected this long after the window's `load`
/// instead of the default 1.5 s, which every such JivoChat-mode page would otherwise wait out
/// (about 80 s of each browser's run). Scenarios about sites' own widgets keep the default.
pub const SHORT_GRACE_MS: u32 = 100;

/// Where failure screenshots and driver logs go: `tests/e2e/artifacts/` (ignored by git).
pub fn artifacts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts")
}

/// The unpacked extension a browser loads: `$JWI_DIST_DIR/chrome` for Chromium and
/// `$JWI_DIST_DIR/firefox` for Firefox, with `dist/` of the repository (what `./build.sh`
/// produces) when the variable is unset. Each browser gets its own package.
pub fn extension_dir(kind: BrowserKind) -> PathBuf {
    let dist = std::env::var_os("JWI_DIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            without_dot_dot(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dist"))
        });
    dist.join(match kind {
        BrowserKind::Chromium => "chrome",
        BrowserKind::Firefox => "firefox",
    })
}

/// `a/b/../c` → `a/c`, without touching the file system (for readable messages).
fn without_dot_dot(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
