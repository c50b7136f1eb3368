//! Every scenario, by feature.
//!
//! To add a feature's scenarios: create `tests/scenarios/FEATURE.rs` with
//! `pub const SCENARIOS: &[Scenario] = &[scenario!(what_it_checks), …];` (the printed name,
//! `FEATURE::what_it_checks`, comes from the function),
//! declare it below with `mod FEATURE;` and append `FEATURE::SCENARIOS` to [`all`].

use e2e::runner::Scenario;

mod breakage;
mod bridge;
mod faults;
mod first_hour;
mod first_run;
mod harness;
mod hostile;
mod jivochat;
mod log;
mod options;
mod popup;
mod realsites;
mod realsites_sandbox;
mod sandbox;
mod sandbox_api;
mod site_widget;
mod smoke;
mod spa;
mod workbench;

/// All registered scenarios, in run order.
pub fn all() -> Vec<Scenario> {
    [
        harness::SCENARIOS,
        smoke::SCENARIOS,
        sandbox::SCENARIOS,
        sandbox_api::SCENARIOS,
        spa::SCENARIOS,
        popup::SCENARIOS,
        first_hour::SCENARIOS,
        jivochat::SCENARIOS,
        site_widget::SCENARIOS,
        realsites::SCENARIOS,
        realsites_sandbox::SCENARIOS,
        log::SCENARIOS,
        options::SCENARIOS,
        bridge::SCENARIOS,
        hostile::SCENARIOS,
        breakage::SCENARIOS,
        faults::SCENARIOS,
        workbench::SCENARIOS,
        first_run::SCENARIOS,
    ]
    .concat()
}
