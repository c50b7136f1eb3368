//! Which build of the content bundle a Chromium page gets: the real WebAssembly where the
//! page's Content Security Policy lets a content script compile it without a report, the
//! wasm2js build (plain JS, about four times the bytes to parse) everywhere else.
//!
//! Chromium applies the *page's* CSP to WebAssembly compiled in a content script: a policy
//! whose `script-src` (or, without one, `default-src`) lacks `'wasm-unsafe-eval'` and
//! `'unsafe-eval'` makes the compile fail and sends the page a `securitypolicyviolation`; a
//! report-only policy lets it compile but still reports. So every policy the page has,
//! enforced or report-only, header or `<meta>`, must allow it (docs/architecture.md, "The
//! content script and page CSP").
//!
//! ```
//! use jwi_core::content_build::{allows_wasm, ContentBuild};
//! assert!(allows_wasm(["default-src 'self'; script-src 'self' 'wasm-unsafe-eval'"]));
//! assert!(!allows_wasm(["default-src 'none'; script-src 'self'"]));
//! assert_eq!(ContentBuild::choose(&["script-src 'self'"], &[]), ContentBuild::Wasm2js);
//! assert_eq!(ContentBuild::choose::<&str>(&[], &[]), ContentBuild::Wasm);
//! ```

use crate::protocol::Mode;

/// The most policies, and the longest policy, a decision reads; a page past either gets the
/// wasm2js build (it runs under any policy).
pub const MAX_POLICIES: usize = 16;
/// See [`MAX_POLICIES`].
pub const MAX_POLICY_BYTES: usize = 16 * 1024;

/// The build of the content bundle to run on a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentBuild {
    /// The real WebAssembly, compiled in the content script.
    Wasm,
    /// The same module turned into JS by binaryen's `wasm2js`: no compile the page's CSP can
    /// refuse.
    Wasm2js,
}

impl ContentBuild {
    /// The build for a page whose response carried the CSP headers `headers` (enforced and
    /// report-only) and whose document holds the `<meta http-equiv>` policies `metas`. Too
    /// many or too long policies are read as refusing.
    pub fn choose<S: AsRef<str>>(headers: &[S], metas: &[S]) -> ContentBuild {
        let policies = headers.iter().chain(metas).map(AsRef::as_ref);
        if headers.len() + metas.len() > MAX_POLICIES
            || policies.clone().any(|p| p.len() > MAX_POLICY_BYTES)
        {
            return ContentBuild::Wasm2js;
        }
        if allows_wasm(policies) {
            ContentBuild::Wasm
        } else {
            ContentBuild::Wasm2js
        }
    }

    /// The file, in Chromium's package, that holds this build of the bundle for a page in
    /// `mode`: JivoChat mode gets the bundle without the sandbox (a third smaller), sandbox
    /// mode the whole one.
    pub fn file(self, mode: Mode) -> &'static str {
        match (mode, self) {
            (Mode::Sandbox, ContentBuild::Wasm) => "content/wasm.js",
            (Mode::Sandbox, ContentBuild::Wasm2js) => "content/wasm2js.js",
            (Mode::JivoChat, ContentBuild::Wasm) => "content/jivochat-wasm.js",
            (Mode::JivoChat, ContentBuild::Wasm2js) => "content/jivochat-wasm2js.js",
        }
    }
}

/// The content script registered for matched pages (and injected on demand) in `mode`. In
/// Chromium's package both files are the loader, which has the background inject a build
/// ([`ContentBuild::file`]); in Firefox's, each is the real wasm's glue of its bundle: the
/// whole bundle in sandbox mode, the one without the sandbox in JivoChat mode.
pub fn registered_file(mode: Mode) -> &'static str {
    match mode {
        Mode::Sandbox => "content/content.js",
        Mode::JivoChat => "content/jivochat.js",
    }
}

/// Whether every policy in `policies` lets a script compile WebAssembly. A header value may
/// hold several policies separated by commas; each is judged on its own, and all must allow.
pub fn allows_wasm<'a>(policies: impl IntoIterator<Item = &'a str>) -> bool {
    policies
        .into_iter()
        .flat_map(|header| header.split(','))
        .all(policy_allows_wasm)
}

/// One policy: its `script-src`, or else its `default-src`, must list `'wasm-unsafe-eval'` or
/// `'unsafe-eval'`; a policy with neither directive does not restrict scripts. The first of
/// two directives with one name is the one in force (CSP3, "parse a serialized CSP").
fn policy_allows_wasm(policy: &str) -> bool {
    let directive = |name: &str| {
        policy.split(';').find_map(|d| {
            let mut tokens = d.split_ascii_whitespace();
            let found = tokens.next()?.eq_ignore_ascii_case(name);
            found.then(|| tokens.collect::<Vec<_>>())
        })
    };
    match directive("script-src").or_else(|| directive("default-src")) {
        None => true,
        Some(sources) => sources.iter().any(|s| {
            s.eq_ignore_ascii_case("'wasm-unsafe-eval'") || s.eq_ignore_ascii_case("'unsafe-eval'")
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_without_a_policy_gets_wasm() {
        assert_eq!(ContentBuild::choose::<&str>(&[], &[]), ContentBuild::Wasm);
        assert!(allows_wasm([""]));
    }

    #[test]
    fn policies_that_do_not_restrict_scripts_allow_wasm() {
        assert!(allows_wasm(["img-src 'self'; frame-ancestors 'none'"]));
        assert!(allows_wasm(["upgrade-insecure-requests"]));
        // script-src-elem governs elements, not compiles.
        assert!(allows_wasm(["script-src-elem 'self'"]));
    }

    #[test]
    fn script_src_decides_and_default_src_is_its_fallback() {
        assert!(!allows_wasm(["default-src 'none'; script-src 'self'"]));
        assert!(!allows_wasm(["default-src 'self'"]));
        assert!(allows_wasm([
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'"
        ]));
        assert!(allows_wasm(["default-src 'self' 'unsafe-eval'"]));
        // An explicit script-src wins over a permissive default-src.
        assert!(!allows_wasm([
            "default-src 'unsafe-eval'; script-src 'self'"
        ]));
        assert!(allows_wasm([
            "default-src 'self'; script-src 'self' 'unsafe-eval'"
        ]));
    }

    #[test]
    fn names_and_keywords_are_matched_without_case_and_the_first_directive_counts() {
        assert!(allows_wasm(["SCRIPT-SRC 'self' 'WASM-UNSAFE-EVAL'"]));
        assert!(!allows_wasm([
            "script-src 'self'; script-src 'wasm-unsafe-eval'"
        ]));
        // A host or nonce that merely contains the word is not the keyword.
        assert!(!allows_wasm([
            "script-src https://wasm-unsafe-eval.example 'nonce-unsafe-eval'"
        ]));
    }

    #[test]
    fn every_policy_must_allow() {
        // Two policies in one header value, and two headers (enforced and report-only).
        assert!(!allows_wasm([
            "script-src 'unsafe-eval', script-src 'self'"
        ]));
        assert!(!allows_wasm([
            "script-src 'unsafe-eval'",
            "default-src 'self'"
        ]));
        assert_eq!(
            ContentBuild::choose(&["img-src *"], &["script-src 'self'"]),
            ContentBuild::Wasm2js
        );
        assert_eq!(
            ContentBuild::choose(&["img-src *"], &["script-src 'wasm-unsafe-eval'"]),
            ContentBuild::Wasm
        );
    }

    #[test]
    fn each_mode_has_its_files() {
        use crate::protocol::Mode;
        assert_eq!(registered_file(Mode::Sandbox), "content/content.js");
        assert_eq!(registered_file(Mode::JivoChat), "content/jivochat.js");
        let files = [Mode::Sandbox, Mode::JivoChat]
            .map(|mode| [ContentBuild::Wasm, ContentBuild::Wasm2js].map(|build| build.file(mode)));
        assert_eq!(
            files,
            [
                ["content/wasm.js", "content/wasm2js.js"],
                ["content/jivochat-wasm.js", "content/jivochat-wasm2js.js"]
            ]
        );
    }

    #[test]
    fn too_many_or_too_long_policies_get_the_build_that_runs_anywhere() {
        let many = vec!["img-src *"; MAX_POLICIES + 1];
        assert_eq!(ContentBuild::choose(&many, &[]), ContentBuild::Wasm2js);
        let long = "img-src ".to_owned() + &"a".repeat(MAX_POLICY_BYTES);
        assert_eq!(ContentBuild::choose(&[long], &[]), ContentBuild::Wasm2js);
    }
}

/// Chromium's content loader (`src/content/loader.js`) sends what this module reads.
#[cfg(test)]
mod loader_tests {
    use super::{MAX_POLICIES, MAX_POLICY_BYTES};
    use crate::protocol::{decode, limits, runtime::LoadContent, runtime::LOADER_PORT_NAME};

    const LOADER: &str = include_str!("../content/loader.js");

    #[test]
    fn the_loader_bounds_what_it_sends_one_past_what_is_read() {
        assert!(LOADER.contains(&format!(
            ".slice(0, {})).slice(0, {})",
            MAX_POLICY_BYTES + 1,
            MAX_POLICIES + 1
        )));
        // Ordinary text at the loader's bounds decodes; a page that writes more (escaped
        // characters) gets the wasm2js build from the background all the same.
        let most = LoadContent {
            meta_policies: vec!["\u{ffff}".repeat(MAX_POLICY_BYTES + 1); MAX_POLICIES + 1],
        };
        let text = serde_json::to_string(&most).unwrap();
        assert!(decode::<LoadContent>(&text, limits::RUNTIME_MESSAGE_BYTES).is_ok());
    }

    #[test]
    fn the_loader_speaks_the_protocol() {
        assert!(LOADER.contains(&format!(
            "chrome.runtime.connect({{ name: '{LOADER_PORT_NAME}' }})"
        )));
        assert!(LOADER.contains("port.postMessage(JSON.stringify({ metaPolicies }))"));
        let sent: LoadContent = decode(r#"{"metaPolicies":["script-src 'self'"]}"#, 1024).unwrap();
        assert_eq!(sent.meta_policies, ["script-src 'self'"]);
    }
}

/// What the manifest lets a page reach (docs/security.md, "What the page can reach").
#[cfg(test)]
mod manifest_tests {
    #[test]
    fn a_page_can_reach_only_the_content_wasms_at_a_per_session_url() {
        let manifest: serde_json::Value =
            serde_json::from_str(include_str!("../../manifest.json")).unwrap();
        assert!(manifest.get("externally_connectable").is_none());
        assert_eq!(
            manifest["web_accessible_resources"],
            serde_json::json!([{
                "resources": ["content/content_bg.wasm", "content/jivochat_bg.wasm"],
                "matches": ["http://*/*", "https://*/*"],
                "use_dynamic_url": true
            }])
        );
    }
}
