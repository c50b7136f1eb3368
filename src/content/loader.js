// Jivo Widget Injector — Chromium's content loader: the content script registered for matched
// pages in Chromium's package (as content/content.js), at document_idle. It sends the document's
// <meta> CSP policies to the background over a port; the background, which saw the response's CSP
// headers, injects the content bundle's build the page allows into this document: the real
// WebAssembly, or the wasm2js build where the page's CSP would refuse (and report) a compile
// (src/pages/background/content_loader.rs, docs/architecture.md). It decides nothing itself.
// Firefox's package registers the real-wasm bundle directly.
(() => {
  'use strict';
  if (globalThis.jwiContentLoader) return;
  globalThis.jwiContentLoader = true;
  const metas = document.querySelectorAll('meta[http-equiv="content-security-policy" i]');
  // protocol::runtime::LoadContent. One more policy, and one more byte of each, than the
  // background reads (jwi_core::content_build::MAX_POLICIES, MAX_POLICY_BYTES) tells it a page
  // has too many, or too long ones, and keeps the message small whatever the page wrote.
  const metaPolicies = Array.from(metas, (m) => String(m.content).slice(0, 16385)).slice(0, 17);
  const port = chrome.runtime.connect({ name: 'content-loader' });
  port.postMessage(JSON.stringify({ metaPolicies }));
})();
