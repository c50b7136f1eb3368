// Background glue: Chromium runs this file as the service worker, Firefox as an event page
// (after pages/pages.js and pages/pages_wasm.js, listed in the manifest). The module is
// instantiated synchronously from embedded bytes so that the Rust background attaches its
// listeners in the first turn, as a service worker must.
if (typeof importScripts === 'function') importScripts('pages/pages.js', 'pages/pages_wasm.js');
globalThis.browser ??= chrome;
wasm_bindgen.initSync({ module: jwiPagesWasm() });
wasm_bindgen.start_background();
