//! Placeholder until the visitor's widget renderer lands: the sandbox runs and answers the
//! page, but draws nothing.

use crate::sandbox::{VisitorAction, WidgetView};

/// The visitor's widget on the page.
pub struct WidgetUi;

impl WidgetUi {
    /// Creates the widget's host.
    pub fn new(_on_action: fn(VisitorAction)) -> Option<WidgetUi> {
        Some(WidgetUi)
    }

    /// Shows `view`.
    pub fn render(&mut self, _view: &WidgetView) {}
}
