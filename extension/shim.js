// Jivo Widget Injector — page shim. Runs in the page's main world at document_start, before any
// page script. It is the only extension code the page can reach, so it is small, holds no
// decisions (those are in the Rust content script), and guards its channel:
//   * every built-in it uses is captured here, before the page can replace it, and it never
//     looks anything up through a prototype the page can pollute: lookup tables and the
//     dictionaries it passes to built-ins have no prototype, fields of parsed messages and
//     property descriptors are read only if they are own, and it never writes an array index
//     (which would run a setter the page put on Array.prototype);
//   * it talks to the content script only through CustomEvents on a detached node that the page
//     never sees (see docs/architecture.md, "The page channel");
//   * values from the page are serialised by a bounded walker that writes JSON text itself;
//   * nothing of ours throws into page code.
(() => {
  'use strict';

  // ---- captured built-ins -------------------------------------------------------------------
  const W = window;
  const doc = document;
  const R = Reflect;
  const apply = R.apply;
  const reflectGet = R.get;
  const O = Object;
  const defineProperty = O.defineProperty;
  const getOwnPropertyDescriptor = O.getOwnPropertyDescriptor;
  const getPrototypeOf = O.getPrototypeOf;
  const hasOwn = O.prototype.hasOwnProperty;
  const objectKeys = O.keys;
  const isArray = Array.isArray;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const String_ = String;
  const slice = String.prototype.slice;
  const ET = EventTarget.prototype;
  const addListener = ET.addEventListener;
  const removeListener = ET.removeEventListener;
  const dispatch = ET.dispatchEvent;
  const CustomEvent_ = CustomEvent;
  const MouseEvent_ = MouseEvent;
  const Event_ = Event;
  const detailOf = getOwnPropertyDescriptor(CustomEvent.prototype, 'detail').get;
  const createElement = Document.prototype.createElement;
  const setAttribute = Element.prototype.setAttribute;
  const appendChild = Node.prototype.appendChild;
  const headOf = getOwnPropertyDescriptor(Document.prototype, 'head').get;
  const rootOf = getOwnPropertyDescriptor(Document.prototype, 'documentElement').get;
  const currentScriptOf = getOwnPropertyDescriptor(Document.prototype, 'currentScript').get;
  const urlOf = getOwnPropertyDescriptor(Document.prototype, 'URL').get;
  const scriptSrcOf = getOwnPropertyDescriptor(HTMLScriptElement.prototype, 'src').get;
  const setTimeout_ = setTimeout;
  const queueMicrotask_ = queueMicrotask;
  const Proxy_ = Proxy;
  const WeakMap_ = WeakMap;
  const wmGet = WeakMap.prototype.get;
  const wmSet = WeakMap.prototype.set;
  const MutationObserver_ = MutationObserver;
  const moObserve = MutationObserver.prototype.observe;
  const moDisconnect = MutationObserver.prototype.disconnect;
  const historyProto = History.prototype;
  const pushState = historyProto.pushState;
  const replaceState = historyProto.replaceState;
  const now = performance.now.bind(performance);

  const PAGE_ANNOUNCE = 'jwi:page-announce';
  const CONTENT_ANNOUNCE = 'jwi:content-announce';
  const FROM_PAGE = 'jwi:from-page';
  const TO_PAGE = 'jwi:to-page';

  const CALLBACKS = ['jivo_onLoadCallback', 'jivo_onOpen', 'jivo_onClose', 'jivo_onChangeState',
    'jivo_onMessageSent', 'jivo_onClientStartChat', 'jivo_onIntroduction', 'jivo_onAccept',
    'jivo_onMessageReceived', 'jivo_onCallStart', 'jivo_onCallEnd', 'jivo_onResizeCallback',
    'jivo_onWidgetDestroy'];
  const API_METHODS = ['open', 'close', 'showProactiveInvitation', 'setWidgetColor', 'chatMode',
    'startCall', 'sendOfflineMessage', 'sendPageTitle', 'setContactInfo', 'setCustomData',
    'setUserToken', 'setRules', 'getContactInfo', 'getVisitorNumber', 'getUnreadMessagesCount',
    'getUtm', 'isCallbackEnabled', 'clearHistory'];
  const CALLBACK_STYLE = { __proto__: null, getVisitorNumber: 1, isCallbackEnabled: 1 };
  const IS_CALLBACK = setOf(CALLBACKS);
  const IS_API_METHOD = setOf(API_METHODS);

  // A prototype-free lookup table of `names`.
  function setOf(names) {
    const set = { __proto__: null };
    for (let i = 0; i < names.length; i++) set[names[i]] = 1;
    return set;
  }

  // `o[k]` if it is o's own property, else undefined: never a value (or getter) the page put
  // on Object.prototype.
  function own(o, k) {
    return o !== null && (typeof o === 'object' || typeof o === 'function') && apply(hasOwn, o, [k])
      ? o[k] : undefined;
  }

  // A property descriptor with no prototype, so a polluted Object.prototype.get/value cannot
  // make it invalid or change its meaning.
  function descriptor(fields) {
    const d = { __proto__: null };
    const keys = objectKeys(fields);
    for (let i = 0; i < keys.length; i++) d[keys[i]] = fields[keys[i]];
    return d;
  }

  // ---- bounded serialiser: page values → JSON text ----------------------------------------------
  const MAX_DEPTH = 6;
  const MAX_STRING = 2000;
  const MAX_ITEMS = 50;
  const MAX_TOTAL = 16000;

  function str(s) {
    s = String_(s);
    if (s.length > MAX_STRING) s = apply(slice, s, [0, MAX_STRING]) + '…';
    return stringify(s);
  }

  // Serialises `v` without invoking getters or toJSON, within depth, item and size budgets.
  function wire(v, depth, budget) {
    if (budget.left <= 0) return '"…"';
    let out;
    const t = typeof v;
    if (v === null || t === 'undefined') out = 'null';
    else if (t === 'boolean') out = v ? 'true' : 'false';
    else if (t === 'number') out = v === v && v !== 1 / 0 && v !== -1 / 0 ? String_(v) : 'null';
    else if (t === 'string') out = str(v);
    else if (t === 'function') out = '{"$function":true}';
    else if (t === 'bigint' || t === 'symbol') out = str(t === 'symbol' ? 'Symbol' : String_(v));
    else if (depth >= MAX_DEPTH) out = '"[…]"';
    else {
      // A revoked Proxy, or one whose traps throw, cannot be read: it is sent as a marker
      // rather than letting the exception reach the page's call.
      try { out = wireObject(v, depth, budget); } catch (_) { out = '"[unreadable]"'; }
    }
    budget.left -= out.length;
    return out;
  }

  // An array or plain object, each part through `wire`.
  function wireObject(v, depth, budget) {
    let body = '';
    let n = 0;
    if (isArray(v)) {
      const len = v.length;
      for (let i = 0; i < len && n < MAX_ITEMS && budget.left > 0; i++, n++) {
        body += (n ? ',' : '') + wire(own(getOwnPropertyDescriptor(v, i), 'value'), depth + 1, budget);
      }
      return '[' + body + ']';
    }
    let keys;
    try { keys = objectKeys(v); } catch (_) { keys = []; }
    for (let i = 0; i < keys.length && n < MAX_ITEMS && budget.left > 0; i++, n++) {
      const val = own(getOwnPropertyDescriptor(v, keys[i]), 'value');
      body += (n ? ',' : '') + str(keys[i]) + ':' + wire(val, depth + 1, budget);
    }
    return '{' + body + '}';
  }

  function wireArgs(args) {
    const budget = { __proto__: null, left: MAX_TOTAL };
    let body = '';
    for (let i = 0; i < args.length && i < MAX_ITEMS; i++) body += (i ? ',' : '') + wire(args[i], 0, budget);
    return '[' + body + ']';
  }

  // ---- the channel ------------------------------------------------------------------------------
  // The contract with the content script (protocol::page in the Rust core) is checked by the
  // native test tests/shim_contract.rs, which reads this file. Its convention:
  //   * every statement that builds a message sends it with the line(s) before it tagged
  //     `// from-page: <JSON>`, each the exact message it sends for sample values (a FromPage);
  //   * every statement that reads a message from the content script is tagged
  //     `// to-page: <JSON>` with the message it reads (a ToPage);
  //   * a tag applies to the statement after it, up to the first line ending in `;` or `}`.
  // The test decodes every sample as the Rust type and encodes it back unchanged (so its names
  // and shapes are the Rust ones), checks that every `"key":` this statement writes and every
  // field it reads with own(…) is in its samples, that every message written (FromPage is
  // externally tagged: '{"history":{…}}') and every `type === '…'` read (ToPage keeps its
  // "type") is tagged, and that the samples name every variant of FromPage and
  // ToPage. It also checks CALLBACKS, API_METHODS and CALLBACK_STYLE against the Rust names.
  // Tags are comments: they change nothing the shim does.
  const node = apply(createElement, doc, ['span']);
  let connected = false;
  let reply = null;

  // The outbox: messages wait here, oldest first, in a prototype-free queue, and leave as one
  // batch, so the content script's work is not done inside the page's call (docs/architecture.md,
  // "What a matched page pays"). Until the content script connects (it starts once the document
  // is parsed) they wait for it, up to EARLY_MESSAGES; after that a batch leaves at the end of
  // the page's task (a microtask) with at most BATCH_MESSAGES. Past those bounds a message is
  // only counted, before it is serialised, and the count travels with the next batch (`unsent`)
  // so the log's missed count stays honest. These are channel bounds: the content script's page
  // gate is the authority on rates (docs/security.md).
  const EARLY_MESSAGES = 2000;
  const BATCH_MESSAGES = 100;
  const QUEUE_CHARS = 1000000;
  const queue = { __proto__: null, head: 0, tail: 0, chars: 0, unsent: 0, scheduled: false };

  // Whether the queue is full: a message now would only be counted.
  function full() {
    return queue.tail - queue.head >= (connected ? BATCH_MESSAGES : EARLY_MESSAGES);
  }

  // Counts a message past the bounds without building it.
  function countUnsent() {
    queue.unsent++;
    schedule();
  }

  function send(json) {
    if (full() || queue.chars + json.length > QUEUE_CHARS) return countUnsent();
    queue[queue.tail++] = json;
    queue.chars += json.length;
    schedule();
  }

  function schedule() {
    if (!connected || queue.scheduled) return;
    queue.scheduled = true;
    queueMicrotask_(flushLater);
  }

  function flushLater() {
    queue.scheduled = false;
    try { flush(); } catch (_) { /* never into page code */ }
  }

  // Sends what waits as one batch. The queue is emptied first, so what the content script's
  // handling of it makes the shim send waits for the next batch.
  function flush() {
    if (queue.head === queue.tail && queue.unsent === 0) return;
    let body = '';
    while (queue.head < queue.tail) {
      body += (body ? ',' : '') + queue[queue.head];
      delete queue[queue.head++];
    }
    const unsent = queue.unsent;
    queue.head = queue.tail = queue.chars = queue.unsent = 0;
    // from-page: {"batch":{"messages":[{"history":{"kind":"push"}}],"unsent":12}}
    dispatchNow('{"batch":{"messages":[' + body + ']' + (unsent ? ',"unsent":' + unsent : '') + '}}');
  }

  function dispatchNow(json) {
    apply(dispatch, node, [new CustomEvent_(FROM_PAGE, { __proto__: null, detail: json })]);
  }

  // A message the content script answers within its own dispatch: what waits goes first.
  function sendNow(json) {
    if (!connected) return send(json);
    flush();
    dispatchNow(json);
  }

  function onMessage(msg) {
    const type = own(msg, 'type');
    // to-page: {"type":"reply","outcome":{"returned":{"result":"ok"},"callbackArgs":[null,7]}}
    if (type === 'reply') reply = own(msg, 'outcome');
    // to-page: {"type":"installSandboxApi"}
    else if (type === 'installSandboxApi') installSandboxApi();
    // to-page: {"type":"fire","callbacks":[["jivo_onOpen",[]],["jivo_onChangeState",["chat"]]]}
    else if (type === 'fire') fire(own(msg, 'callbacks'));
    // to-page: {"type":"callApi","id":3,"method":"open","args":[{"start":"call"}]}
    else if (type === 'callApi') callApi(own(msg, 'id'), own(msg, 'method'), own(msg, 'args'));
    // to-page: {"type":"checkApi"}
    else if (type === 'checkApi') sendReady();
    // to-page: {"type":"injectLoader","url":"https://code.jivosite.com/widget/abc"}
    else if (type === 'injectLoader') injectLoader(own(msg, 'url'));
    // to-page: {"type":"reads","answers":[{"method":"getUnreadMessagesCount","json":"3"},{"method":"getUtm"}]}
    else if (type === 'reads') setReads(own(msg, 'answers'));
  }

  function announce() {
    apply(dispatch, W, [new MouseEvent_(PAGE_ANNOUNCE, { __proto__: null, relatedTarget: node })]);
  }

  function onContentAnnounce() {
    if (!connected) announce();
  }

  // The channel keeper (extension/channel.js) took the node at document_start: no more
  // announces, which a page script could watch; messages wait for the content bundle.
  function onClaimed() {
    apply(removeListener, W, [CONTENT_ANNOUNCE, onContentAnnounce, true]);
  }

  // `ready` first, then what waited for the content script, as one batch.
  function onConnected() {
    if (connected) return;
    connected = true;
    apply(removeListener, W, [CONTENT_ANNOUNCE, onContentAnnounce, true]);
    dispatchNow(readyMessage());
    flush();
  }

  // Answered within the dispatch: the content script reads it right after `checkApi`.
  function sendReady() {
    sendNow(readyMessage());
  }

  function readyMessage() {
    // from-page: {"ready":{"jivoApiPresent":false}}
    return '{"ready":{"jivoApiPresent":' + (apiSlot.value !== undefined && !apiSlot.ours) + '}}';
  }

  // Any message but `claimed` connects; `connected` is the one the content script sends for
  // that alone.
  // to-page: {"type":"connected"}
  apply(addListener, node, [TO_PAGE, (e) => {
    try {
      let msg;
      try { msg = parse(apply(detailOf, e, [])); } catch (_) { return; }
      // to-page: {"type":"claimed"}
      if (own(msg, 'type') === 'claimed') return onClaimed();
      onConnected();
      onMessage(msg);
    } catch (_) { /* never into page code */ }
  }]);
  apply(addListener, W, [CONTENT_ANNOUNCE, onContentAnnounce, true]);
  apply(addListener, W, ['error', (e) => { onUncaught(e); onScriptError(e); }, true]);

  // ---- callbacks: record, then run the page's handler unchanged ---------------------------------
  const wrappers = new WeakMap_(); // page handler → its recording wrapper
  const ourWrappers = new WeakMap_(); // wrapper → page handler (or null)
  const handlers = { __proto__: null }; // name → page handler (accessor-held)

  // Past the queue's bounds the call is only counted: nothing of it is read.
  function record(name, args) {
    try {
      if (full()) return countUnsent();
      // from-page: {"callback":{"name":"jivo_onChangeState","args":["chat",{"$function":true}]}}
      send('{"callback":{"name":' + stringify(name) + ',"args":' + wireArgs(args) + '}}');
    } catch (_) { /* ignore */ }
  }

  // What the log says a page's handler threw, read without running page code where it can be
  // helped: an Error's own `message` (a data property), a primitive as text, else a marker.
  function thrownMessage(err) {
    const t = typeof err;
    if (err === null || (t !== 'object' && t !== 'function')) return t === 'symbol' ? 'Symbol' : String_(err);
    try {
      const d = getOwnPropertyDescriptor(err, 'message');
      const m = own(d, 'value');
      if (m !== undefined) return typeof m === 'string' ? m : '[a non-string message]';
    } catch (_) { return '[an unreadable exception]'; }
    return '[an exception without a message]';
  }

  // Handlers that threw and are not logged yet, oldest first (a prototype-free queue). The
  // exception's value is learnt from the `error` event if it goes uncaught (the usual case: the
  // sandbox calls each callback in a task of its own); one its caller caught is logged at the
  // end of the task without a message.
  const throws = { __proto__: null, head: 0, tail: 0 };
  const errorOf = getOwnPropertyDescriptor(ErrorEvent.prototype, 'error').get;

  function sendThrew(name, message) {
    // from-page: {"callbackThrew":{"name":"jivo_onOpen","message":"boom"}}
    send('{"callbackThrew":{"name":' + stringify(name) + ',"message":' + str(message) + '}}');
  }

  function noteThrow(name) {
    try {
      if (throws.head === throws.tail) setTimeout_(flushThrows, 0);
      throws[throws.tail++] = name;
    } catch (_) { /* never into page code */ }
  }

  function flushThrows() {
    try {
      while (throws.head < throws.tail) {
        const name = throws[throws.head];
        delete throws[throws.head++];
        sendThrew(name, '[caught by its caller]');
      }
    } catch (_) { /* ignore */ }
  }

  // A <script> that failed to load before the content script started (a site's JivoChat loader
  // answering 404, say): the content script watches for itself once it runs. Only the element's
  // `src` is read, through the captured getter (which throws for anything but a script).
  const targetOf = getOwnPropertyDescriptor(Event.prototype, 'target').get;

  function onScriptError(e) {
    if (connected) return;
    try {
      const src = apply(scriptSrcOf, apply(targetOf, e, []), []);
      // from-page: {"scriptFailed":{"src":"https://code.jivosite.com/widget/abc"}}
      if (src) send('{"scriptFailed":{"src":' + str(src) + '}}');
    } catch (_) { /* not a script element */ }
  }

  function onUncaught(e) {
    try {
      if (throws.head === throws.tail) return;
      // Only an ErrorEvent (not a resource's `error`) has the getter's brand.
      const value = apply(errorOf, e, []);
      const name = throws[throws.head];
      delete throws[throws.head++];
      sendThrew(name, thrownMessage(value));
    } catch (_) { /* never into page code */ }
  }

  function wrapperFor(name, handler) {
    const key = typeof handler === 'function' ? handler : null;
    if (key) {
      const known = apply(wmGet, wrappers, [key]);
      if (known) return known;
    }
    const w = function () {
      record(name, arguments);
      if (typeof handler !== 'function') {
        if (name === 'jivo_onLoadCallback') sendLoadUnheard();
        return undefined;
      }
      // No catch: an exception leaves through `finally` untouched, so the browser reports it
      // where the page threw it (a `catch` and rethrow would make the console name shim.js).
      let returned = false;
      try {
        const result = apply(handler, this, arguments);
        returned = true;
        return result;
      } finally {
        if (!returned) noteThrow(name);
      }
    };
    apply(wmSet, ourWrappers, [w, handler]);
    if (key) apply(wmSet, wrappers, [key, w]);
    return w;
  }

  function hookCallback(name) {
    const d = getOwnPropertyDescriptor(W, name);
    const get = own(d, 'get');
    if (get && apply(wmGet, ourWrappers, [get]) !== undefined) return;
    if (d && !own(d, 'configurable')) {
      // A page `function jivo_on…(){}` declaration: a writable, non-configurable data property.
      // Re-wrap by assignment; the wrapper calls the declared function.
      const value = own(d, 'value');
      if (own(d, 'writable') && typeof value === 'function' &&
          apply(wmGet, ourWrappers, [value]) === undefined) {
        W[name] = wrapperFor(name, value);
        noteDefined(name, value, false);
      }
      return;
    }
    // No property at all: the page deleted its handler (or never had one); an old one must not
    // come back.
    const value = d ? (get ? apply(get, W, []) : own(d, 'value')) : undefined;
    noteDefined(name, value, false);
    handlers[name] = value;
    // The wrapper of the handler read last, so that a page calling its callback in a loop pays
    // no lookup per call.
    let wrapped = null;
    let wrappedFor;
    const getter = function () {
      const handler = handlers[name];
      if (wrapped === null || wrappedFor !== handler) {
        wrapped = wrapperFor(name, handler);
        wrappedFor = handler;
      }
      return wrapped;
    };
    apply(wmSet, ourWrappers, [getter, null]);
    defineProperty(W, name, descriptor({
      configurable: true,
      enumerable: true,
      get: getter,
      set(v) {
        noteDefined(name, v, true);
        handlers[name] = v;
      },
    }));
  }

  // ---- handler definitions: which script gave a callback its handler (integration checks) ------
  let definitionsLeft = 200; // messages per page: a page assigning in a loop is not a flood
  // Tells the content script that the page gave `name` the handler `v`: a function of the
  // page's (not our wrapper, not the handler it already has). `atTop` when the page's own
  // assignment runs now, so the executing script (if any) is the one that assigned it.
  function noteDefined(name, v, atTop) {
    try {
      if (typeof v !== 'function' || v === handlers[name] || definitionsLeft <= 0 ||
          apply(wmGet, ourWrappers, [v]) !== undefined) return;
      definitionsLeft--;
      const script = atTop ? currentScriptUrl() : '';
      // from-page: {"handlerDefined":{"name":"jivo_onOpen","script":"https://shop.example/app.js"}}
      // from-page: {"handlerDefined":{"name":"jivo_onOpen"}}
      send('{"handlerDefined":{"name":' + stringify(name) + (script ? ',"script":' + str(script) : '') + '}}');
    } catch (_) { /* never into page code */ }
  }

  // The URL of the classic script whose top level runs now (the page's URL for an inline one),
  // '' when none does (a timer, an event handler, a module) or it cannot be read.
  function currentScriptUrl() {
    const el = apply(currentScriptOf, doc, []);
    if (!el) return '';
    let src = '';
    try { src = apply(scriptSrcOf, el, []); } catch (_) { return ''; } // an SVG <script>
    return src || apply(urlOf, doc, []);
  }

  // ---- jivo_api, jivo_init, jivo_destroy: record the page's calls to a real widget ---------------
  // `mine` is the sandbox's own value once installed.
  const apiSlot = { __proto__: null, value: undefined, ours: false, mine: undefined };
  const globalSlots = {
    __proto__: null,
    jivo_init: { __proto__: null, value: undefined, ours: false, mine: undefined },
    jivo_destroy: { __proto__: null, value: undefined, ours: false, mine: undefined },
  };
  let siteApiSent = false; // whether the page's own jivo_api/jivo_init was reported
  const methodWrappers = new WeakMap_(); // the widget's function → its recording wrapper
  const recorders = new WeakMap_(); // recording wrapper → true

  function recordCall(method, args, returned) {
    try {
      if (full()) return countUnsent();
      // from-page: {"apiCalled":{"method":"open","args":[{"start":"chat"}],"returned":{"result":"ok"}}}
      // from-page: {"apiCalled":{"method":"jivo_init","args":[]}}
      send('{"apiCalled":{"method":' + stringify(method) + ',"args":' + wireArgs(args) +
        (returned === undefined ? '' : ',"returned":' + wire(returned, 0, { __proto__: null, left: MAX_TOTAL })) + '}}');
    } catch (_) { /* ignore */ }
  }

  function recordingFunction(method, fn, self) {
    // Already a recording wrapper (the page put back what it read): record once.
    if (apply(wmGet, recorders, [fn])) return fn;
    let w = apply(wmGet, methodWrappers, [fn]);
    if (w) return w;
    w = function () {
      const result = apply(fn, self === undefined ? this : self, arguments);
      recordCall(method, arguments, result);
      return result;
    };
    apply(wmSet, methodWrappers, [fn, w]);
    apply(wmSet, recorders, [w, true]);
    return w;
  }

  const apiViews = new WeakMap_(); // the page's widget object → its recording view
  const views = new WeakMap_(); // recording view → true

  function apiView() {
    const api = apiSlot.value;
    if (apiSlot.ours || api === null || (typeof api !== 'object' && typeof api !== 'function')) return api;
    // The page put back the view it read: it records already.
    if (apply(wmGet, views, [api])) return api;
    // One view per object, so that `window.jivo_api === window.jivo_api` holds as it does
    // without the extension.
    let view = apply(wmGet, apiViews, [api]);
    if (view) return view;
    view = new Proxy_(api, {
      __proto__: null,
      get(target, key) {
        const v = reflectGet(target, key);
        if (typeof v === 'function' && typeof key === 'string' && IS_API_METHOD[key] === 1) {
          // A frozen method must be returned as it is: a Proxy may not report another value
          // for a non-writable, non-configurable property (the page would get a TypeError).
          const d = getOwnPropertyDescriptor(target, key);
          if (d && !own(d, 'configurable') && !own(d, 'writable')) return v;
          return recordingFunction(key, v, target);
        }
        return v;
      },
    });
    apply(wmSet, apiViews, [api, view]);
    apply(wmSet, views, [view, true]);
    return view;
  }

  function hookSlot(name, slot, view) {
    const d = getOwnPropertyDescriptor(W, name);
    if (d && !own(d, 'configurable')) return;
    const get = own(d, 'get');
    if (d) slot.value = get ? apply(get, W, []) : own(d, 'value');
    defineProperty(W, name, descriptor({
      configurable: true,
      enumerable: true,
      get: view,
      // The page may put back what it read (`const a = jivo_api; … jivo_api = a;`): the
      // sandbox's own API stays ours, so its calls are not recorded twice.
      set(v) {
        if (slot === apiSlot) noteApiReplaced(v);
        slot.value = v;
        slot.ours = v !== undefined && v === slot.mine;
        // The page's own widget (a loader, not the sandbox) defined its API: say so once.
        if (v !== undefined && !slot.ours && !siteApiSent && connected) {
          siteApiSent = true;
          // from-page: {"siteApi":{}}
          try { send('{"siteApi":{}}'); } catch (_) { /* ignore */ }
        }
      },
    }));
  }

  // ---- the widget removed by its globals: jivo_api deleted or overwritten (integration checks) --
  let removalsLeft = 20; // messages per page
  let apiGetter = null; // our accessor's getter, to tell a deletion

  function sendRemoved() {
    if (removalsLeft <= 0) return;
    removalsLeft--;
    // from-page: {"widgetRemoved":{"how":"globals"}}
    send('{"widgetRemoved":{"how":"globals"}}');
  }

  // The page assigns `v` to window.jivo_api: a removal when the slot held a widget's API and `v`
  // is neither it nor the recording view the page read of it (`jivo_api = jivo_api`).
  function noteApiReplaced(v) {
    try {
      const old = apiSlot.value;
      if (old === null || (typeof old !== 'object' && typeof old !== 'function') || v === old) return;
      if (apply(wmGet, views, [v]) && apply(wmGet, apiViews, [old]) === v) return;
      sendRemoved();
    } catch (_) { /* never into page code */ }
  }

  // `delete window.jivo_api` takes our accessor away unseen: looked for with the other hooks.
  // The page's deletion stands (no accessor is put back); the API it held is forgotten.
  function checkApiDeleted() {
    const old = apiSlot.value;
    if (apiGetter === null || old === null || (typeof old !== 'object' && typeof old !== 'function')) return;
    if (own(getOwnPropertyDescriptor(W, 'jivo_api'), 'get') === apiGetter) return;
    apiGetter = null;
    apiSlot.value = undefined;
    apiSlot.ours = false;
    sendRemoved();
  }

  // ---- the sandbox widget's API: every call answered synchronously by the content script --------
  // The reads (getContactInfo, getUnreadMessagesCount, getUtm) change nothing, so the content
  // script sends what each returns whenever that changes (ToPage::Reads) and a call of one with
  // no arguments is answered here, without a round trip; the call reaches the log in the next
  // batch, like a callback. Answers are kept as the JSON text the content script wrote and
  // parsed per call: the page gets a fresh object each time, and no serialising here consults
  // a `toJSON` the page may have put on Object.prototype.
  let reads = { __proto__: null }; // method → JSON text of what it returns ('' for undefined)

  function setReads(answers) {
    const table = { __proto__: null };
    for (let i = 0; answers && i < answers.length; i++) {
      const method = own(answers[i], 'method');
      const json = own(answers[i], 'json');
      if (typeof method === 'string' && IS_API_METHOD[method] === 1) {
        table[method] = typeof json === 'string' ? json : '';
      }
    }
    reads = table;
  }

  function sandboxCall(method, args) {
    const read = args.length === 0 ? reads[method] : undefined;
    if (read !== undefined) {
      try {
        if (full()) countUnsent();
        // from-page: {"sandboxRead":{"method":"getUnreadMessagesCount","returned":3}}
        // from-page: {"sandboxRead":{"method":"getUtm"}}
        else send('{"sandboxRead":{"method":' + stringify(method) + (read ? ',"returned":' + read : '') + '}}');
      } catch (_) { /* never into page code */ }
      return read ? parse(read) : undefined;
    }
    reply = null;
    // from-page: {"sandboxCall":{"method":"getVisitorNumber","args":[{"$function":true}]}}
    sendNow('{"sandboxCall":{"method":' + stringify(method) + ',"args":' + wireArgs(args) + '}}');
    const outcome = reply;
    reply = null;
    if (!outcome) return undefined;
    // to-page: {"type":"reply","outcome":{"callbackArgs":[null,7]}}
    const cbArgs = own(outcome, 'callbackArgs');
    if (cbArgs && CALLBACK_STYLE[method]) {
      for (let i = 0; i < args.length; i++) {
        if (typeof args[i] === 'function') {
          const cb = args[i];
          setTimeout_(() => { apply(cb, undefined, cbArgs); }, 0);
          break;
        }
      }
    }
    // to-page: {"type":"reply","outcome":{"returned":{"result":"ok"}}}
    return own(outcome, 'returned');
  }

  function installSandboxApi() {
    const api = {};
    for (let i = 0; i < API_METHODS.length; i++) {
      const m = API_METHODS[i];
      defineProperty(api, m, descriptor({
        enumerable: true,
        value: function () { return sandboxCall(m, arguments); },
      }));
    }
    apiSlot.value = apiSlot.mine = api;
    apiSlot.ours = true;
    const init = function jivo_init() { return sandboxCall('jivo_init', arguments); };
    globalSlots.jivo_init.value = globalSlots.jivo_init.mine = init;
    globalSlots.jivo_init.ours = true;
    const destroy = function jivo_destroy() { return sandboxCall('jivo_destroy', arguments); };
    globalSlots.jivo_destroy.value = globalSlots.jivo_destroy.mine = destroy;
    globalSlots.jivo_destroy.ours = true;
  }

  // ---- content script requests ------------------------------------------------------------------
  // Each callback runs in a task of its own, as a widget's event handler would call it: an
  // exception the page's handler throws is uncaught there, so the page's `error` listeners,
  // `window.onerror` and the console see it exactly as without the extension, and the
  // callbacks after it still run. Only the page's own call is outside our try.
  function fire(list) {
    try {
      ensureHooks();
      for (let i = 0; list && i < list.length; i++) {
        const name = list[i][0];
        if (IS_CALLBACK[name] === 1) setTimeout_(fireOne, 0, name, list[i][1]);
      }
    } catch (_) { /* never into page code */ }
  }

  function fireOne(name, args) {
    let f;
    const callArgs = { __proto__: null, length: 0 };
    try {
      ensureHooks();
      f = W[name];
      for (let i = 0; args && i < args.length; i++) callArgs[callArgs.length++] = args[i];
    } catch (_) { return; }
    // The page's handler (through our recording wrapper, which rethrows what it threw).
    if (typeof f === 'function') apply(f, W, callArgs);
    else if (name === 'jivo_onLoadCallback') sendLoadUnheard();
  }

  // No handler of the page's heard the load: the content script may call it again for a site
  // loader it holds back later (the page may define its handler together with that loader).
  function sendLoadUnheard() {
    // from-page: {"loadUnheard":{}}
    try { send('{"loadUnheard":{}}'); } catch (_) { /* ignore */ }
  }

  function callApi(id, method, args) {
    // from-page: {"apiResult":{"id":3,"outcome":{"returned":{"result":"ok"}}}}
    const answer = (outcome) => send('{"apiResult":{"id":' + (id >>> 0) + ',"outcome":' + outcome + '}}');
    let target;
    let fn;
    if (method === 'jivo_init' || method === 'jivo_destroy') {
      target = W;
      fn = globalSlots[method].value;
    } else {
      target = apiSlot.value;
      fn = target ? reflectGet(target, method) : undefined;
    }
    if (typeof fn !== 'function') {
      // from-page: {"apiResult":{"id":3,"outcome":{"threw":"window.jivo_api.open is not a function"}}}
      answer('{"threw":' + str('window.' + (target === W ? method : 'jivo_api.' + method) + ' is not a function') + '}');
      return;
    }
    // An array-like without a prototype: appending to a real array could run a page setter.
    const callArgs = { __proto__: null, length: 0 };
    for (let i = 0; args && i < args.length; i++) callArgs[callArgs.length++] = args[i];
    let callbackArgs = null;
    let returned;
    if (CALLBACK_STYLE[method]) {
      callArgs[callArgs.length++] = function () { callbackArgs = wireArgs(arguments); finish(); };
    }
    let done = false;
    function finish() {
      if (done) return;
      done = true;
      // from-page: {"apiResult":{"id":3,"outcome":{"returned":{"result":"ok"},"callbackArgs":null}}}
      // from-page: {"apiResult":{"id":4,"outcome":{"callbackArgs":[null,42]}}}
      answer('{' + (returned === undefined ? '' : '"returned":' + wire(returned, 0, { __proto__: null, left: MAX_TOTAL }) + ',') +
        '"callbackArgs":' + (callbackArgs || 'null') + '}');
    }
    try {
      returned = apply(fn, target, callArgs);
    } catch (err) {
      done = true;
      // from-page: {"apiResult":{"id":3,"outcome":{"threw":"boom"}}}
      answer('{"threw":' + str(err && err.message !== undefined ? err.message : err) + '}');
      return;
    }
    if (!CALLBACK_STYLE[method]) finish();
    else setTimeout_(finish, 5000);
  }

  // ---- the JivoChat loader: inserted from the page's world ----------------------------------------
  // A script a content script inserts is checked against the extension's CSP (MV3, both
  // browsers), which refuses a loader from another origin; one the page's world inserts is the
  // page's, under the page's own CSP, like the site's own loader would be.
  function injectLoader(url) {
    if (typeof url !== 'string') return;
    const script = apply(createElement, doc, ['script']);
    apply(setAttribute, script, ['src', url]);
    apply(setAttribute, script, ['async', '']);
    const parent = apply(headOf, doc, []) || apply(rootOf, doc, []);
    if (parent) apply(appendChild, parent, [script]);
  }

  // ---- history: tell the content script after a URL change succeeded ----------------------------
  function hookHistory(name, original, kind) {
    const wrapped = {
      [name](data, unused) {
        const result = apply(original, this, arguments);
        // from-page: {"history":{"kind":"push"}}
        // from-page: {"history":{"kind":"replace"}}
        try { send('{"history":{"kind":"' + kind + '"}}'); } catch (_) { /* ignore */ }
        return result;
      },
    }[name];
    defineProperty(historyProto, name, descriptor({ value: wrapped, writable: true, configurable: true, enumerable: true }));
  }

  // ---- keeping the hooks in place ---------------------------------------------------------------
  function ensureHooks() {
    for (let i = 0; i < CALLBACKS.length; i++) {
      try { hookCallback(CALLBACKS[i]); } catch (_) { /* leave the page's property alone */ }
    }
    try { checkApiDeleted(); } catch (_) { /* never into page code */ }
  }

  try {
    ensureHooks();
    hookSlot('jivo_api', apiSlot, apiView);
    apiGetter = own(getOwnPropertyDescriptor(W, 'jivo_api'), 'get') || null;
    hookSlot('jivo_init', globalSlots.jivo_init, () => {
      const s = globalSlots.jivo_init;
      return typeof s.value === 'function' && !s.ours ? recordingFunction('jivo_init', s.value) : s.value;
    });
    hookSlot('jivo_destroy', globalSlots.jivo_destroy, () => {
      const s = globalSlots.jivo_destroy;
      return typeof s.value === 'function' && !s.ours ? recordingFunction('jivo_destroy', s.value) : s.value;
    });
    hookHistory('pushState', pushState, 'push');
    hookHistory('replaceState', replaceState, 'replace');
    // A page's `function jivo_on…(){}` declaration replaces our accessor when its script runs.
    // The parser runs a microtask checkpoint before each later script, so re-wrapping on every
    // mutation batch puts the wrapper back before the widget's loader can run.
    const mo = new MutationObserver_(ensureHooks);
    apply(moObserve, mo, [doc, { __proto__: null, childList: true, subtree: true }]);
    apply(addListener, W, ['load', () => {
      ensureHooks();
      apply(moDisconnect, mo, []);
    }, { __proto__: null, once: true }]);
    apply(addListener, W, ['DOMContentLoaded', ensureHooks, { __proto__: null, once: true, capture: true }]);
    announce();
  } catch (_) { /* never into page code */ }

  void getPrototypeOf;
  void Event_;
})();
