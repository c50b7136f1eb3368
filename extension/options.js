globalThis.browser ??= chrome;
wasm_bindgen({ module_or_path: 'pages/pages_bg.wasm' }).then(() => wasm_bindgen.start_options());
