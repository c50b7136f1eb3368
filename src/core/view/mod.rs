//! DOM-free view models of the extension's surfaces: what a form holds and validates, what a
//! log row says. The surfaces in `jwi-pages` only put these on screen.

pub mod console_form;
pub mod log_rows;
pub mod popup_page;
pub mod settings_form;
pub mod workbench;
