// Welcome page glue: instantiates the shared `pages` bundle and starts the Rust welcome page.
globalThis.browser ??= chrome;
wasm_bindgen({ module_or_path: jwiPagesWasm() }).then(() => wasm_bindgen.start_welcome());
