//! Page breakage: pages that throw from their handlers, delete or replace `jivo_api`, call
//! `jivo_destroy` twice, create many iframes or navigate away mid-call.

use e2e::runner::Scenario;

pub const SCENARIOS: &[Scenario] = &[];
