//! The options page: every setting with inline validation.

use wasm_bindgen::prelude::*;

/// Entry point, called by `options.js` once the module is instantiated.
#[wasm_bindgen]
pub fn start_options() {}
