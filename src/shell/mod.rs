use wasm_bindgen::prelude::*;
#[wasm_bindgen]
pub fn ping(x: &str) -> String {
    format!("pong {x} {}", crate::protocol::hello())
}
