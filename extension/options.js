globalThis.browser ??= chrome;
wasm_bindgen({ module_or_path: jwiPagesWasm() }).then(() => wasm_bindgen.start_options());
