// Popup glue: instantiates the shared `pages` bundle and starts the Rust popup. The
// `jwi:` performance marks time the popup's opening (see docs/architecture.md, "Popup open time").
globalThis.browser ??= chrome;
performance.mark('jwi:script');
wasm_bindgen({ module_or_path: jwiPagesWasm() }).then(() => {
  performance.mark('jwi:wasm');
  wasm_bindgen.start_popup();
});
