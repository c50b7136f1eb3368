// Jivo Widget Injector — the page channel's keeper. Runs in the extension's isolated world at
// document_start, before any page script, next to the page shim (shim.js), so that the handshake
// that hands over the channel's secret node happens where no page script can watch it. The content
// bundle runs later, once the document is parsed (docs/architecture.md, "What a matched page
// pays"), in this same isolated world, and takes the node from here (src/content/channel.rs).
// It holds the node and decides nothing.
(() => {
  'use strict';
  if (globalThis.jwiPageChannel !== undefined) return;
  globalThis.jwiPageChannel = null;
  const onAnnounce = (e) => {
    // A property read, not `instanceof MouseEvent`: in Firefox the event is an Xray wrapper.
    const node = e.relatedTarget;
    if (!node || globalThis.jwiPageChannel) return;
    globalThis.jwiPageChannel = node;
    e.stopImmediatePropagation();
    window.removeEventListener('jwi:page-announce', onAnnounce, true);
    // The shim stops answering announces, and keeps what the page does until the content
    // bundle connects (protocol::page::ToPage::Claimed).
    node.dispatchEvent(new CustomEvent('jwi:to-page', { detail: '{"type":"claimed"}' }));
  };
  window.addEventListener('jwi:page-announce', onAnnounce, true);
  window.dispatchEvent(new Event('jwi:content-announce'));
})();
