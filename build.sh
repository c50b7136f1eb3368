#!/usr/bin/env bash
# Jivo Widget Injector — build and test.
#
#   ./build.sh          install what is missing, build every bundle, assemble dist/chrome/ and
#                       dist/firefox/ (one unpacked extension per browser) and their packages
#   ./build.sh test     build, then fmt, clippy, native tests, web-ext lint, end-to-end tests
#                       in headless Chromium and Firefox
#   ./build.sh demo     build, serve a small demo shop with a JivoChat integration
#                       (tests/fixtures/demo-shop) and open Chromium with the extension
#   ./build.sh bench [TABLE…] [--browser B]  build, then print the benchmark tables (page, sandbox, spa, jivochat, log, panel, hostile; not a test: it never fails on a figure)
#
# Idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
DIST="$ROOT/dist"
EXT="$DIST/extension"  # the single folder of older builds; removed by assemble
WASM_TARGET_DIR="$ROOT/target/wasm"
GECKODRIVER_VERSION="0.37.1"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"

# Each step says when it started (seconds since the command began), so a slow step shows in CI logs.
step() { printf '\n\033[1m==> [%4d s] %s\033[0m\n' "$SECONDS" "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf '\n\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# Setup: only what is missing. Debian packages need root (CI and these machines run as root).
# ---------------------------------------------------------------------------------------------
APT_UPDATED=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]} — run as root or install them: sudo apt-get install ${missing[*]}"
  note "installing Debian packages: ${missing[*]}"
  if [ "$APT_UPDATED" -eq 0 ]; then
    apt-get update -qq || die "apt-get update failed"
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# Which Rust toolchain builds wasm here: rustup's, if it has the wasm32 target; otherwise
# Debian's rustc-web with the std sources, building std from source (see docs/architecture.md, "Building").
WASM_TOOLCHAIN=""
choose_wasm_toolchain() {
  if command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    WASM_TOOLCHAIN=rustup
  else
    WASM_TOOLCHAIN=debian
    apt_install rustc-web cargo-web rust-web-src lld-22
  fi
}

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_build_tools() {
  step "Checking build tools"
  command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust (rustup) first"
  command -v node >/dev/null 2>&1 || apt_install nodejs npm
  choose_wasm_toolchain
  note "wasm toolchain: $WASM_TOOLCHAIN"
  [ -f Cargo.lock ] || cargo generate-lockfile
  local want have
  want="$(wasm_bindgen_version)"
  [ -n "$want" ] || die "could not read the wasm-bindgen version from Cargo.lock"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" || true
  if [ "$have" != "$want" ]; then
    note "installing wasm-bindgen-cli $want (the crate's exact version; about 2 minutes)"
    cargo install -q wasm-bindgen-cli --version "$want" || die "cargo install wasm-bindgen-cli $want failed"
  fi
  if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/web-ext ] || [ ! -x node_modules/.bin/terser ] \
     || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    note "installing npm dev tools from package-lock.json"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null || die "npm ci failed"
  fi
}

ensure_test_tools() {
  step "Checking test tools"
  # The Russian UI of each browser (chromium-l10n's ru.pak, Firefox's ru language pack): the
  # e2e suite runs the extension's pages in the Russian UI locale too (docs/testing.md).
  apt_install chromium chromium-driver firefox-esr chromium-l10n firefox-esr-l10n-ru
  if ! geckodriver --version 2>/dev/null | grep -q "geckodriver $GECKODRIVER_VERSION"; then
    note "installing geckodriver $GECKODRIVER_VERSION (about 2 minutes)"
    cargo install -q geckodriver --version "$GECKODRIVER_VERSION" || die "cargo install geckodriver failed"
  fi
  [ -x /usr/lib/chromium/chromium ] || die "Chromium is missing at /usr/lib/chromium/chromium"
  [ -x /usr/lib/firefox-esr/firefox-esr ] || die "Firefox ESR is missing at /usr/lib/firefox-esr/firefox-esr"
  command -v chromedriver >/dev/null 2>&1 || die "chromedriver is missing"
}

# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------
# Builds the given crates (and cargo flags) for wasm32 in one cargo run (their final link-time optimisations
# then run side by side, one per core: 110 → 92 s from a clean target, 2026-12-06); prints the
# directory of the .wasm files.
cargo_wasm() {
  local packages=() crate
  for crate in "$@"; do
    case "$crate" in
      -*) packages+=("$crate") ;;  # a cargo flag (--no-default-features)
      *) packages+=(-p "$crate") ;;
    esac
  done
  # MVP code (no reference types, no bulk memory) for every bundle: wasm2js needs it for the
  # content bundle, and one set of RUSTFLAGS keeps one build cache (std included) for all.
  local flags="-C target-cpu=mvp"
  if [ "$WASM_TOOLCHAIN" = rustup ]; then
    RUSTFLAGS="$flags" CARGO_TARGET_DIR="$WASM_TARGET_DIR" \
      cargo build -q --release --lib --target wasm32-unknown-unknown "${packages[@]}" \
      || die "wasm build ($*) failed"
  else
    # The bundles are crates of their own (the workspace), so rustc's MIR inliner stops at the
    # jwi-core boundary unless told otherwise: letting it inline across crates, as it did when
    # everything was one crate, makes the content wasm 11% smaller (372,561 → 331,957 bytes
    # after wasm-opt, measured 2026-12-05). A nightly flag, so only on this build-std path.
    flags="$flags -Zcross-crate-inline-threshold=always"
    RUSTFLAGS="$flags" CARGO_TARGET_DIR="$WASM_TARGET_DIR" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
      CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=rust-lld \
      /usr/bin/cargo build -q --release --lib --target wasm32-unknown-unknown "${packages[@]}" \
        -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size \
        -Zpanic-immediate-abort --config 'profile.release.panic="immediate-abort"' \
      || die "wasm build ($*) failed"
  fi
  echo "$WASM_TARGET_DIR/wasm32-unknown-unknown/release"
}

# wasm-bindgen (no-modules glue) + wasm-opt -Oz into $2/$3.js and $2/$3_bg.wasm.
bindgen() {
  local wasm="$1" out="$2" name="$3"
  mkdir -p "$out"
  wasm-bindgen --target no-modules --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "$out" --out-name "$name" "$wasm" || die "wasm-bindgen failed for $name"
  wasm-opt -Oz --enable-mutable-globals --enable-sign-ext "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm" \
    || die "wasm-opt failed for $name"
}

# A JS statement defining a base64 string constant: embeds wasm so it instantiates synchronously.
embed_base64() {
  local var="$1" file="$2"
  printf 'const %s = "%s";\n' "$var" "$(base64 -w0 "$file")"
}

# The JS function that turns embedded base64 into bytes: the native decoder where the browser
# has one (Chromium 140+, Firefox 133+; a few ms for the content wasm), else atob.
wasm_bytes_function() {
  echo 'function wasmBytes(b64) { return Uint8Array.fromBase64 ? Uint8Array.fromBase64(b64) : Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)); }'
}

# Each package holds only what its browser loads: the content bundle built for it, the manifest
# keys it reads, and the pages wasm once (embedded, since the background must instantiate it
# synchronously in its first turn).
BROWSERS=(chrome firefox)

# wasm2js of the bound content module $1/$2_bg.wasm, made ready to be inlined into a page
# script: $1/asm.js. Chrome's build for pages whose CSP refuses WebAssembly.
content_wasm2js() {
  local dir="$1" name="$2"
  wasm2js -Oz "$dir/${name}_bg.wasm" -o "$dir/asm.mjs" || return 1
  # Keep the module body (helpers and asmFunc); drop its ES-module imports and the exports that
  # follow the instantiation line — the glue instantiates it instead.
  grep -q '^var retasmFunc = asmFunc(' "$dir/asm.mjs" || die "unexpected wasm2js output"
  sed -e '/^import /d' -e '/^var retasmFunc = asmFunc(/,$d' "$dir/asm.mjs" > "$dir/asm.js"
  # wasm2js grows memory into a new ArrayBuffer and leaves the old one attached, but
  # wasm-bindgen's glue refreshes its cached byte view only when the old buffer is detached
  # (as real wasm leaves it). Grow with ArrayBuffer.prototype.transfer, which copies and
  # detaches: without this, the first memory growth corrupts every later string.
  local grow='var newBuffer = new ArrayBuffer(newPages << 16);'
  grep -qF "$grow" "$dir/asm.js" || die "unexpected wasm2js memory growth code"
  local copy='newHEAP8.set(HEAP8);'
  grep -qF "$copy" "$dir/asm.js" || die "unexpected wasm2js memory growth code"
  sed -i -e "s|$grow|var newBuffer = buffer.transfer(newPages << 16);|" -e "s|$copy||" "$dir/asm.js"
  # Every page parses this file: drop wasm2js's indentation (a third of its bytes). Safe for
  # its output, which has no template literals or multi-line strings.
  grep -q '`' "$dir/asm.js" && die "unexpected template literal in the wasm2js output"
  sed -i -e 's/^[[:space:]]*//' "$dir/asm.js"
}

# The page scripts of one content build ($2: content, the whole bundle, or jivochat, the
# JivoChat-mode build without the sandbox), from its bound module in $1, named as
# jwi_core::content_build names them; $3 is the file prefix ("" or "jivochat-").
content_scripts() {
  local dir="$1" name="$2" prefix="$3"
  # Chrome, for pages whose CSP refuses WebAssembly: the glue gets a stand-in
  # WebAssembly.Module/Instance (a lexical shadow, nothing global) whose exports are asmFunc's.
  {
    echo '(() => {'
    echo '"use strict";'
    echo 'globalThis.browser ??= chrome;'
    cat "$dir/asm.js"
    echo 'function AsmModule() {}'
    echo 'function AsmInstance(module, imports) { this.exports = asmFunc(imports); }'
    echo 'const WebAssembly = { Module: AsmModule, Instance: AsmInstance };'
    cat "$dir/$name.js"
    echo 'wasm_bindgen.initSync({ module: new AsmModule() });'
    echo "globalThis.jwiContentBuild = \"${prefix}wasm2js\";"
    echo 'wasm_bindgen.start_content();'
    echo '})();'
  } > "$DIST/chrome/content/${prefix}wasm2js.js"
  # The real wasm: Chrome's other build, and Firefox's content script (Firefox does not apply
  # the page's CSP to content-script wasm). The glue compiles the module as it streams in
  # from the package (a web-accessible resource, at a per-session URL in Chromium), off the
  # page's main thread; the page parses no copy of it as a JS string.
  {
    echo '(() => {'
    echo '"use strict";'
    echo 'globalThis.browser ??= chrome;'
    cat "$dir/$name.js"
    echo "wasm_bindgen({ module_or_path: browser.runtime.getURL(\"content/${name}_bg.wasm\") }).then(() => {"
    echo "  globalThis.jwiContentBuild = \"${prefix}wasm\";"
    echo '  wasm_bindgen.start_content();'
    echo '});'
    echo '})();'
  } > "$DIST/chrome/content/${prefix}wasm.js"
  for b in "${BROWSERS[@]}"; do
    cp "$dir/${name}_bg.wasm" "$DIST/$b/content/${name}_bg.wasm"
  done
  # Firefox registers the real wasm's glue itself; Chrome registers the loader, which has the
  # background inject the build the page's CSP allows (src/content/loader.js,
  # src/pages/background/content_loader.rs).
  cp "$DIST/chrome/content/${prefix}wasm.js" "$DIST/firefox/content/$name.js"
  cp src/content/loader.js "$DIST/chrome/content/$name.js"
}

build_bundles() {
  local work="$DIST/.work"
  rm -rf "$work" && mkdir -p "$work"

  step "Building the content and extension-pages crates (Rust → wasm)"
  local wasm_dir
  wasm_dir="$(cargo_wasm jwi-content jwi-pages)"
  cp "$wasm_dir/jwi_content.wasm" "$work/jwi_content.wasm"
  bindgen "$work/jwi_content.wasm" "$work/content" content
  # wasm2js runs on one core while the next builds use the other.
  content_wasm2js "$work/content" content &
  local wasm2js_pid=$!

  # The JivoChat-mode build: the content crate without its `sandbox` feature, for pages in
  # JivoChat mode (a third smaller). Its own cargo run: one run builds a crate once.
  step "Building the JivoChat-mode content crate (no sandbox) and binding the bundles"
  cargo_wasm jwi-content --no-default-features >/dev/null
  bindgen "$wasm_dir/jwi_content.wasm" "$work/jivochat" jivochat
  content_wasm2js "$work/jivochat" jivochat &
  local jivochat_pid=$!
  bindgen "$wasm_dir/jwi_pages.wasm" "$work/pages" pages
  wait "$wasm2js_pid" || die "wasm2js failed (content)"
  wait "$jivochat_pid" || die "wasm2js failed (jivochat)"
  content_scripts "$work/content" content ""
  content_scripts "$work/jivochat" jivochat "jivochat-"

  # The pages bundle (background, popup, options, panels), bound and optimised above.
  for b in "${BROWSERS[@]}"; do
    cp "$work/pages/pages.js" "$DIST/$b/pages/pages.js"
    {
      echo '// The pages wasm, embedded once: the background instantiates it synchronously in its first'
      echo '// turn (a service worker must add its listeners there); the popup and options compile it async.'
      embed_base64 JWI_PAGES_WASM "$work/pages/pages_bg.wasm"
      wasm_bytes_function
      echo 'function jwiPagesWasm() { return wasmBytes(JWI_PAGES_WASM); }'
    } > "$DIST/$b/pages/pages_wasm.js"
  done
}

# Every matched page parses these scripts, so they ship minified: comments and whitespace out,
# local names shortened (terser's mangler; no compression, so the code is the same code). Halves
# the shim and the glue, and the wasm2js build (1,979,755 → 957,916 bytes, 2026-12-06). The
# sources stay as written: tests/shim_contract.rs reads extension/shim.js.
minify_page_scripts() {
  step "Minifying what pages parse (terser --mangle)"
  local f
  for b in "${BROWSERS[@]}"; do
    for f in "$DIST/$b/shim.js" "$DIST/$b/channel.js" "$DIST/$b"/content/*.js; do
      terser "$f" --mangle --comments false --ecma 2022 -o "$f.min" || die "terser failed on $f"
      mv "$f.min" "$f"
    done
  done
}

assemble() {
  # A script that does not parse fails on every page, silently for the page: catch it here.
  for f in extension/*.js; do
    node --check "$f" || die "$f does not parse"
  done
  step "Assembling $DIST/chrome and $DIST/firefox"
  rm -rf "$EXT" "${BROWSERS[@]/#/$DIST/}"
  for b in "${BROWSERS[@]}"; do
    mkdir -p "$DIST/$b/content" "$DIST/$b/pages"
    cp -R extension/. "$DIST/$b/"
    python3 tools/manifest.py "$b" manifest.json "$DIST/$b/manifest.json" || die "manifest for $b failed"
  done
}

package() {
  step "Packaging"
  rm -f "$DIST"/*.zip
  (cd "$DIST/chrome" && python3 -m zipfile -c "$DIST/jivo-widget-injector-chrome.zip" .) || die "zip failed"
  web-ext build --source-dir "$DIST/firefox" --artifacts-dir "$DIST" --filename "jivo-widget-injector-firefox.zip" \
    --overwrite-dest >/dev/null || die "web-ext build failed"
}

report_sizes() {
  step "Sizes"
  printf '    %-44s %10s %10s\n' "file" "raw bytes" "gzip -9"
  for b in "${BROWSERS[@]}"; do
    for f in content/content.js content/wasm.js content/wasm2js.js content/content_bg.wasm \
             content/jivochat.js content/jivochat-wasm.js content/jivochat-wasm2js.js content/jivochat_bg.wasm \
             shim.js pages/pages_wasm.js pages/pages.js; do
      [ -f "$DIST/$b/$f" ] || continue
      printf '    %-44s %10s %10s\n' "$b/$f" "$(wc -c < "$DIST/$b/$f")" "$(gzip -9c "$DIST/$b/$f" | wc -c)"
    done
  done
  printf '    %-44s %10s\n' "wasm: content (after wasm-opt)" "$(wc -c < "$DIST/.work/content/content_bg.wasm")"
  printf '    %-44s %10s\n' "wasm: content, JivoChat mode (after wasm-opt)" "$(wc -c < "$DIST/.work/jivochat/jivochat_bg.wasm")"
  printf '    %-44s %10s\n' "wasm: pages (after wasm-opt)" "$(wc -c < "$DIST/.work/pages/pages_bg.wasm")"
  printf '    %-44s %10s\n' "package: jivo-widget-injector-chrome.zip" "$(wc -c < "$DIST/jivo-widget-injector-chrome.zip")"
  printf '    %-44s %10s\n' "package: jivo-widget-injector-firefox.zip" "$(wc -c < "$DIST/jivo-widget-injector-firefox.zip")"
}

build() {
  local t0=$SECONDS
  ensure_build_tools
  assemble
  build_bundles
  minify_page_scripts
  package
  report_sizes
  step "Done in $((SECONDS - t0)) s"
  note "Unpacked extensions, one per browser:"
  note "  Chrome / Chromium: chrome://extensions → Developer mode → Load unpacked → $DIST/chrome"
  note "  Firefox: about:debugging#/runtime/this-firefox → Load Temporary Add-on → $DIST/firefox/manifest.json"
  note "Packages: $DIST/jivo-widget-injector-chrome.zip, $DIST/jivo-widget-injector-firefox.zip"
}

run_tests() {
  local t0=$SECONDS
  ensure_test_tools
  step "cargo fmt --check"
  cargo fmt --all -- --check || die "cargo fmt: run 'cargo fmt --all' and commit"
  step "cargo clippy -D warnings (every crate, tests included)"
  cargo clippy -q --workspace --all-targets -- -D warnings || die "clippy found problems"
  # The JivoChat-mode content build leaves the sandbox out (src/content/sandbox_off.rs).
  cargo clippy -q -p jwi-content --no-default-features -- -D warnings || die "clippy found problems"
  step "Native tests (every crate: the core, the view models, the shells' DOM-free parts)"
  # The end-to-end target is left out by its manifest (test = false), not by --exclude, which
  # would build the workspace's crates a second time with another feature set.
  cargo test -q --workspace || die "native tests failed"
  step "web-ext lint"
  web-ext lint --source-dir "$DIST/firefox" --output text --self-hosted || die "web-ext lint found errors"
  step "End-to-end tests (headless Chromium and Firefox)"
  JWI_DIST_DIR="$DIST" cargo test -q -p e2e --test e2e || die "end-to-end tests failed"
  step "All tests passed in $((SECONDS - t0)) s (after the build)"
}

# ---------------------------------------------------------------------------------------------
# Demo: a small shop with a JivoChat integration, served locally, and a browser with the built
# extension that has the shop's rule one click away (the welcome page, pre-filled).
# ---------------------------------------------------------------------------------------------
demo() {
  local port="${JWI_DEMO_PORT:-8765}" shop="$ROOT/tests/fixtures/demo-shop"
  local site="http://127.0.0.1:$port/*" url="http://127.0.0.1:$port/"
  step "Serving the demo shop at $url (Ctrl-C stops it)"
  # Every path without a file is the single-page app's index.html.
  # (python3 may be a pyenv shim whose pid is not the server's: the server watches this
  # script's pid and stops when it is gone.)
  python3 - "$port" "$shop" "$$" <<'PY' &
import http.server, os, sys, threading, time
port, root, owner = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def watch():
    while True:
        time.sleep(1)
        try: os.kill(owner, 0)
        except OSError: os._exit(0)
threading.Thread(target=watch, daemon=True).start()
class Shop(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k): super().__init__(*a, directory=root, **k)
    def send_head(self):
        if not os.path.isfile(os.path.join(root, self.path.split('?')[0].lstrip('/'))):
            self.path = '/index.html'
        return super().send_head()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(('127.0.0.1', port), Shop).serve_forever()
PY
  local server=$!
  trap 'kill "$server" 2>/dev/null' EXIT INT TERM
  local chrome_dir="$DIST/chrome"
  # An unpacked extension's id: sha256 of its absolute path, first 32 hex digits mapped 0-f → a-p.
  local id
  id="$(printf '%s' "$chrome_dir" | sha256sum | cut -c1-32 | tr '0-9a-f' 'a-p')"
  local welcome="chrome-extension://$id/welcome.html?add=$url&open=1"
  local browser=""
  for b in /usr/lib/chromium/chromium chromium chromium-browser google-chrome; do
    command -v "$b" >/dev/null 2>&1 && { browser="$b"; break; }
  done
  if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ -z "$browser" ]; then
    note "No display (or no Chromium) here, so no browser is opened. On a machine with one:"
    note "  1. load $chrome_dir (chrome://extensions, Developer mode, Load unpacked) or"
    note "     $DIST/firefox/manifest.json (about:debugging, Load Temporary Add-on);"
    note "  2. open chrome-extension://$id/welcome.html?add=$url&open=1 (Chromium; the id is"
    note "     that of $chrome_dir) — it adds the rule $site — or add it on the welcome page;"
    note "  3. open $url (forward port $port if the shop runs on another machine):"
    note "     the widget is in the corner, the toolbar button shows the log and the agent."
    note "Serving until Ctrl-C."
    wait "$server"
    return
  fi
  local profile
  profile="$(mktemp -d "${TMPDIR:-/tmp}/jwi-demo-XXXXXX")"
  note "Chromium with a fresh profile ($profile) and the extension from $chrome_dir:"
  note "the welcome page adds the rule $site at once and then opens the shop in a new tab."
  "$browser" --user-data-dir="$profile" --no-first-run --disable-extensions-except="$chrome_dir" \
    --load-extension="$chrome_dir" "$welcome" >/dev/null 2>&1 || true
  note "Browser closed; the shop is still served until Ctrl-C."
  wait "$server"
}

case "${1:-build}" in
  build) build ;;
  test) build; run_tests ;;
  demo) build; demo ;;
  bench) build; ensure_test_tools; JWI_DIST_DIR="$DIST" cargo run -q -p e2e --bin bench -- "${@:2}" ;;
  -h|--help|help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$1' (try: ./build.sh, ./build.sh test, ./build.sh demo, ./build.sh bench)" ;;
esac
