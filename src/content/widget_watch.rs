//! JivoChat mode: keeps the popup's Widget section and the toolbar badge up to date with the
//! real widget's state. [`StateWatch`] decides when to read what; this module makes the reads
//! through the shim (recorded as the extension's own calls, note "widget state") and sends the
//! facts to the background when they change.

use std::cell::RefCell;

use serde_json::Value;

use jwi_core::api::call::Reply;
use jwi_core::api::Callback;
use jwi_core::jivochat::{StateRead, StateWatch, WatchStep};
use jwi_core::protocol::runtime::FromContent;

thread_local! {
    static WATCH: RefCell<StateWatch> = RefCell::new(StateWatch::default());
    /// Reads decided but not made yet: they run in a task of their own, after the widget's
    /// call of the page's callback (and the page's handler) has returned.
    static QUEUED: RefCell<Vec<StateRead>> = const { RefCell::new(Vec::new()) };
}

/// The widget called a page callback.
pub fn on_callback(callback: Callback, args: &[Value]) {
    let step = WATCH.with(|w| w.borrow_mut().callback(callback, args));
    apply(step);
}

/// A read made by [`apply`] was answered.
pub fn answered(read: StateRead, outcome: &Reply) {
    let step = WATCH.with(|w| w.borrow_mut().answered(read, outcome));
    apply(step);
}

fn apply(step: WatchStep) {
    if step.changed {
        let facts = WATCH.with(|w| w.borrow().facts().clone());
        super::send_to_background(&FromContent::WidgetFacts { facts });
    }
    if step.reads.is_empty() {
        return;
    }
    let first = QUEUED.with(|q| {
        let mut q = q.borrow_mut();
        let first = q.is_empty();
        q.extend(step.reads);
        first
    });
    if first {
        let _ = jwi_browser::timers::set_timeout(0, || {
            for read in QUEUED.with(|q| std::mem::take(&mut *q.borrow_mut())) {
                super::call_page_widget_for_state(read);
            }
        });
    }
}
