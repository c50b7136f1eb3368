//! SPA title/URL tracking, end to end: the page navigates without loading, and the widget
//! gets exactly the `sendPageTitle(title, true, url)` calls the rules call for. In sandbox mode
//! they are read from the site's stored visitor record (`pages`), which lists every
//! `sendPageTitle` the widget received.

use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::runner::{Ctx, Scenario};
use serde_json::json;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "spa::title_right_after_push_is_one_report",
        title_right_after_push,
    ),
    Scenario::new("spa::title_before_push_is_one_report", title_before_push),
    Scenario::new("spa::late_title_gives_a_second_report", late_title),
];

const TIMEOUT: Duration = Duration::from_secs(5);

fn open_spa(ctx: &Ctx) -> Result<String> {
    ctx.set_settings(json!({ "mode": "sandbox", "sites": ["http://127.0.0.1/spa*"] }))?;
    ctx.wait_for("content scripts registered", TIMEOUT, |b| {
        let n = b.ext_eval(
            "return api.scripting.getRegisteredContentScripts().then(l => l.length);",
            vec![],
        )?;
        Ok((n.as_u64().unwrap_or(0) > 0).then_some(()))
    })?;
    let url = ctx.url("/spa.html");
    ctx.goto(&url)?;
    ctx.wait_for("the sandbox to load", TIMEOUT, |b| {
        Ok(
            (b.eval("return typeof jivo_api === 'object' && jivo_api !== null;")? == true)
                .then_some(()),
        )
    })?;
    // Let the load settle (the page's own title is what the widget saw at load).
    std::thread::sleep(Duration::from_millis(300));
    Ok(ctx.server.origin())
}

/// The `(title, url path)` pairs the widget received, once there are `n` of them.
fn reports(ctx: &Ctx, origin: &str, n: usize) -> Result<Vec<(String, String)>> {
    let key = format!("sandbox:{origin}");
    let mut seen = Vec::new();
    ctx.wait_for(&format!("{n} sendPageTitle report(s)"), TIMEOUT, |b| {
        let stored = b.storage_get("local", &key)?;
        let pages = stored["record"]["pages"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        seen = pages
            .iter()
            .map(|p| {
                let url = p["url"].as_str().unwrap_or("");
                let path = url
                    .splitn(4, '/')
                    .nth(3)
                    .map(|p| format!("/{p}"))
                    .unwrap_or_default();
                (p["title"].as_str().unwrap_or("").to_owned(), path)
            })
            .collect();
        Ok((seen.len() >= n).then_some(()))
    })
    .with_context(|| format!("reports so far: {seen:?}"))?;
    Ok(seen)
}

fn expect_exactly(
    ctx: &Ctx,
    origin: &str,
    expected: &[(&str, &str)],
    quiet: Duration,
) -> Result<()> {
    let got = reports(ctx, origin, expected.len())?;
    std::thread::sleep(quiet);
    let after = reports(ctx, origin, expected.len())?;
    let want: Vec<(String, String)> = expected
        .iter()
        .map(|(t, u)| (t.to_string(), u.to_string()))
        .collect();
    ensure!(
        after == want,
        "sendPageTitle calls: {after:?}, expected {want:?} (first seen {got:?})"
    );
    Ok(())
}

fn title_right_after_push(ctx: &mut Ctx) -> Result<()> {
    let origin = open_spa(ctx)?;
    ctx.eval("spaNav('/spa/products', 'Products', 0);")?;
    expect_exactly(
        ctx,
        &origin,
        &[("Products", "/spa/products")],
        Duration::from_millis(800),
    )
}

fn title_before_push(ctx: &mut Ctx) -> Result<()> {
    let origin = open_spa(ctx)?;
    ctx.eval("spaNav('/spa/cart', 'Cart', -1);")?;
    expect_exactly(
        ctx,
        &origin,
        &[("Cart", "/spa/cart")],
        Duration::from_millis(800),
    )
}

fn late_title(ctx: &mut Ctx) -> Result<()> {
    let origin = open_spa(ctx)?;
    ctx.eval("spaNav('/spa/slow', 'Slow page', 1500);")?;
    expect_exactly(
        ctx,
        &origin,
        &[("SPA home", "/spa/slow"), ("Slow page", "/spa/slow")],
        Duration::from_millis(500),
    )
}
