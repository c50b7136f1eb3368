//! The options page: every setting with inline validation, the site-rule editor with its "test
//! a URL" box, import and export of the settings document, reset to defaults, the
//! administrator's values shown locked, and a button for host permission where the browser has
//! not granted it (Firefox).
//!
//! - The settings module judges everything ([`settings_form::validate`]): the form is turned into a
//!   whole settings document on every keystroke and each problem is shown next to the field its
//!   path names. Nothing is written unless the document is valid, and nothing typed is lost.
//! - Storage is the only channel to the background: saving, importing and resetting write
//!   `storage.local["settings"]`; the background's verdict comes back in
//!   `storage.session["settingsStatus"]`, and changes made elsewhere arrive through
//!   `storage.onChanged`.
//! - The pure part (the form as data, what is locked, where problems go) is [`model`], tested
//!   natively; [`view`] draws it.

mod view;

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;

use js_sys::{Array, Promise};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

use jwi_browser::storage::{self, Area};
use jwi_browser::{dom, ext};
use jwi_core::settings::{
    EffectiveSettings, FieldError, LoaderUrl, Settings, SettingsStatus, WidgetId,
};
use jwi_core::storage_keys;

use jwi_browser::i18n::t;
use jwi_core::view::settings_form::{self, Form};

/// Everything the page knows; `None` until the first load.
struct App {
    /// The administrator's document, if there is one.
    managed: Option<Value>,
    /// The settings in force, as far as the page can tell from storage.
    effective: EffectiveSettings,
    /// The user's values being edited (for locked keys, the user's own, not the ones shown).
    form: Form,
    /// The form as loaded or last saved, for "Discard changes".
    loaded_form: Form,
    /// `loaded_form`'s document: the form is dirty when its document differs.
    baseline: Value,
    /// `storage.local["settings"]` as last read or written.
    stored: Value,
    /// The background's last accepted document (`settingsInForce`).
    in_force: Value,
    /// A document this page is writing, so its own change event is not taken for someone
    /// else's.
    pending_write: Option<Value>,
    /// Problems with `stored` (the form then shows the settings in force).
    stored_problems: Vec<FieldError>,
    /// The background's report.
    status: SettingsStatus,
    /// Fields the user has left after changing them: their problems are shown.
    touched: BTreeSet<String>,
    /// After a save was tried: every problem is shown.
    show_all: bool,
    saving: bool,
    /// A one-off message for the save bar ("Saved"), until the next edit.
    note: Option<(&'static str, String)>,
    /// The settings changed elsewhere while the form had unsaved edits.
    external_change: bool,
    /// Host permissions the sites need and the browser has not granted.
    missing_origins: Vec<String>,
}

thread_local! {
    static APP: RefCell<Option<App>> = const { RefCell::new(None) };
    /// Counts the storage changes that concern the page, so a load can tell that it read
    /// something already out of date.
    static CHANGES: Cell<u32> = const { Cell::new(0) };
}

/// Runs `f` on the page's state. If the state is in use (an event fired synchronously by a DOM
/// call made while handling another), `f` runs right after, from a microtask.
fn with_app(f: impl FnOnce(&mut App) + 'static) {
    let deferred = APP.with(|cell| match cell.try_borrow_mut() {
        Ok(mut app) => {
            if let Some(app) = app.as_mut() {
                f(app);
            }
            None
        }
        Err(_) => Some(f),
    });
    if let Some(f) = deferred {
        spawn_local(async move { with_app(f) });
    }
}

/// Entry point, called by `options.js` once the module is instantiated.
#[wasm_bindgen]
pub fn start_options() {
    jwi_browser::i18n::localize_page();
    listen();
    spawn_local(load_all(None));
}

// ----- loading -----------------------------------------------------------------------------

/// How long the first load waits for `storage.managed` before showing the form without it.
/// Chromium can take about two seconds to answer the first call after the browser starts;
/// the administrator's values are put in when they arrive.
const MANAGED_WAIT_MS: i32 = 250;

/// What the page reads from storage.
struct Read {
    stored: Value,
    in_force: Value,
    status: SettingsStatus,
    managed: Managed,
}

/// The policy: known (`None` when there is none), or still on its way.
enum Managed {
    Known(Option<Value>),
    Pending(Promise),
}

/// Reads the settings, the policy and the background's report, and shows them; `note` goes in
/// the save bar afterwards. A change that arrives while reading makes it read again, so the
/// page never settles on what storage held before.
async fn load_all(note: Option<(&'static str, String)>) {
    let mut read = None;
    for _ in 0..4 {
        let generation = CHANGES.with(Cell::get);
        match read_storage().await {
            Ok(r) => read = Some(r),
            Err(e) => {
                view::set_page_state("ready");
                view::set_save_status("error", &t("options_loadFailed", &[&e]));
                return;
            }
        }
        if CHANGES.with(Cell::get) == generation {
            break;
        }
    }
    let Some(read) = read else { return };
    let (managed, pending) = match read.managed {
        Managed::Known(m) => (m, None),
        Managed::Pending(p) => (None, Some(p)),
    };
    let loaded = settings_form::load(&read.stored, &read.in_force, managed.as_ref());

    APP.with(|cell| {
        let mut cell = cell.borrow_mut();
        cell.take();
        let app = App {
            managed,
            baseline: loaded.form.to_document(),
            loaded_form: loaded.form.clone(),
            form: loaded.form,
            effective: loaded.effective,
            stored: read.stored,
            in_force: read.in_force,
            pending_write: None,
            stored_problems: loaded.stored_problems,
            status: read.status,
            touched: BTreeSet::new(),
            show_all: false,
            saving: false,
            note,
            external_change: false,
            missing_origins: Vec::new(),
        };
        render_all(&app);
        *cell = Some(app);
    });
    view::set_page_state("ready");
    if let Some(promise) = pending {
        let managed = ext::call(promise)
            .await
            .ok()
            .and_then(|v| settings_form::managed_document(ext::from_js(&v)));
        with_app(move |app| apply_managed(app, managed));
    }
    check_permissions().await;
}

/// Reads both storage areas at once, and the policy for at most [`MANAGED_WAIT_MS`].
async fn read_storage() -> Result<Read, String> {
    // No policy: Firefox rejects, Chromium answers `{}`; both mean none.
    let managed = storage::managed_get(&JsValue::NULL)
        .ok()
        .map(rejection_as_nothing);
    let local = storage::get(
        Area::Local,
        &[storage_keys::SETTINGS, storage_keys::SETTINGS_IN_FORCE],
    )
    .await?;
    let session = storage::get_or_empty(Area::Session, &[storage_keys::SETTINGS_STATUS]).await;
    let field = |doc: &serde_json::Map<String, Value>, key: &str| {
        doc.get(key).cloned().unwrap_or(Value::Null)
    };

    let managed = match managed {
        None => Managed::Known(None),
        Some(promise) => {
            let waiting = JsValue::from_str("jwi-managed-pending");
            let timer = {
                let waiting = waiting.clone();
                Promise::new(&mut |resolve, _| {
                    let waiting = waiting.clone();
                    jwi_browser::timers::set_timeout(MANAGED_WAIT_MS, move || {
                        let _ = resolve.call1(&JsValue::NULL, &waiting);
                    });
                })
            };
            let first = ext::call(Promise::race(&Array::of2(&promise, &timer))).await?;
            if first.as_string().as_deref() == waiting.as_string().as_deref() {
                Managed::Pending(promise)
            } else {
                Managed::Known(settings_form::managed_document(ext::from_js(&first)))
            }
        }
    };
    Ok(Read {
        stored: field(&local, storage_keys::SETTINGS),
        in_force: field(&local, storage_keys::SETTINGS_IN_FORCE),
        status: SettingsStatus::from_value(&field(&session, storage_keys::SETTINGS_STATUS)),
        managed,
    })
}

/// The promise, with a rejection turned into `undefined` (read as "nothing there").
fn rejection_as_nothing(promise: Promise) -> Promise {
    let on_rejected = Closure::<dyn FnMut(JsValue)>::new(|_: JsValue| {});
    let settled = promise.catch(&on_rejected);
    on_rejected.forget();
    settled
}

/// Puts a new policy in place without touching the user's edits: locks, shown values and
/// problems follow it; the form's own values are replaced only if nothing was edited.
fn apply_managed(app: &mut App, managed: Option<Value>) {
    if managed == app.managed {
        return;
    }
    let clean = app.form.to_document() == app.baseline;
    app.managed = managed;
    let loaded = settings_form::load(&app.stored, &app.in_force, app.managed.as_ref());
    app.effective = loaded.effective;
    app.stored_problems = loaded.stored_problems;
    if clean {
        app.baseline = loaded.form.to_document();
        app.loaded_form = loaded.form.clone();
        app.form = loaded.form;
    }
    render_all(app);
    spawn_local(check_permissions());
}

/// Reads `storage.managed` again after it changed.
async fn reload_managed() {
    let managed = storage::managed()
        .await
        .and_then(settings_form::managed_document);
    with_app(move |app| apply_managed(app, managed));
}

// ----- drawing -------------------------------------------------------------------------------

/// Redraws the whole form from the state.
fn render_all(app: &App) {
    let shown = settings_form::displayed(&app.form, &app.effective);
    view::write_form(&shown, app.effective.locked());
    refresh(app);
}

/// Redraws everything that follows from the form's values without touching the inputs:
/// problems, the save bar, the loader preview, the URL test and the notices.
fn refresh(app: &App) {
    let doc = app.form.to_document();
    let errors = settings_form::validate(&doc, app.managed.as_ref());
    view::render_errors(&errors, |path| {
        settings_form::problem_visible(path, &app.touched, app.show_all)
    });

    let dirty = doc != app.baseline;
    let can_save = dirty || !app.stored_problems.is_empty();
    dom::set_disabled("save", !can_save && !app.saving);
    dom::set_disabled("revert", !dirty && !app.saving);
    let (state, text) = if app.saving {
        ("saving", t("options_saving", &[]))
    } else if let Some((state, text)) = &app.note {
        (*state, text.clone())
    } else if app.show_all && !errors.is_empty() {
        ("invalid", problems_text(errors.len()))
    } else if dirty {
        ("dirty", t("options_unsaved", &[]))
    } else {
        ("clean", String::new())
    };
    view::set_save_status(state, &text);

    let shown = settings_form::displayed(&app.form, &app.effective);
    let preview = WidgetId::parse(shown.widget_id.trim())
        .ok()
        .zip(LoaderUrl::parse(shown.loader_url.trim()).ok())
        .map(|(id, url)| url.loader_url_for(&id));
    view::set_loader_preview(preview.as_deref());

    update_test_result(app);
    render_notices(app);
}

/// "Not saved: fix the problem marked below" with the count.
fn problems_text(count: usize) -> String {
    if count == 1 {
        t("options_saveInvalidOne", &[])
    } else {
        t("options_saveInvalidMany", &[&count.to_string()])
    }
}

/// The notices above the form: the background's report, locks, outside changes, permission.
fn render_notices(app: &App) {
    let user_errors = app
        .status
        .user_errors
        .clone()
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| app.stored_problems.clone());
    view::render_problems("status-user-errors", &user_errors);
    dom::set_hidden("status-user", user_errors.is_empty());

    let managed_errors = app.status.managed_errors.clone().unwrap_or_default();
    view::render_problems("status-managed-errors", &managed_errors);
    dom::set_hidden("status-managed", managed_errors.is_empty());

    dom::set_hidden("status-locked", app.effective.locked().is_empty());
    dom::set_hidden("external-change", !app.external_change);

    view::render_items("permission-origins", &app.missing_origins);
    dom::set_hidden("permission-banner", app.missing_origins.is_empty());
}

/// The "test a URL" box's answer for what it holds now.
fn update_test_result(app: &App) {
    let url = dom::value_of("site-test-url");
    if url.trim().is_empty() {
        view::set_test_result(None);
        return;
    }
    let rules = settings_form::rules_for_test(&app.form, &app.effective);
    let (state, key, subs) = settings_form::rule_test_message(&rules.test_url(&url));
    let subs: Vec<&str> = subs.iter().map(String::as_str).collect();
    view::set_test_result(Some((state, t(key, &subs))));
}

// ----- events --------------------------------------------------------------------------------

/// Attaches every listener (the page's own elements exist already: the script is at the end
/// of the body).
fn listen() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let target_id = |event: &web_sys::Event| -> String {
        event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .map(|el| el.id())
            .unwrap_or_default()
    };

    if let Some(form) = dom::by_id("settings-form") {
        dom::listen(&form, "input", move |event| {
            let id = target_id(&event);
            with_app(move |app| on_input(app, &id));
        });
        dom::listen(&form, "change", move |event| {
            let id = target_id(&event);
            with_app(move |app| on_change(app, &id));
        });
        dom::listen(&form, "submit", |event| {
            event.prevent_default();
            with_app(save);
        });
        dom::listen(&form, "keydown", move |event| {
            let Some(key) = event.dyn_ref::<web_sys::KeyboardEvent>().map(|k| k.key()) else {
                return;
            };
            if key != "Enter" {
                return;
            }
            match target_id(&event).as_str() {
                "site-add" => {
                    event.prevent_default();
                    with_app(add_site);
                }
                // Enter in the test box tests (as typing does); it never saves.
                "site-test-url" => event.prevent_default(),
                _ => {}
            }
        });
    }

    dom::listen(&document, "keydown", |event| {
        let Some(key) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
            return;
        };
        if (key.ctrl_key() || key.meta_key()) && key.key().eq_ignore_ascii_case("s") {
            event.prevent_default();
            with_app(save);
        }
    });

    dom::listen(&document, "click", |event| {
        let Some(button) = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("button").ok().flatten())
        else {
            return;
        };
        match button.id().as_str() {
            "site-add-button" => with_app(add_site),
            "revert" => with_app(revert),
            "export" => export(),
            "reset" => open_reset_dialog(),
            "reset-confirm-no" => close_reset_dialog(),
            "reset-confirm-yes" => {
                close_reset_dialog();
                spawn_local(reset());
            }
            // `permissions.request` must be called in the click handler itself.
            "grant-permission" => request_permission(),
            "external-reload" => spawn_local(load_all(None)),
            _ => {
                if let Some(index) = button
                    .get_attribute("data-index")
                    .and_then(|i| i.parse::<usize>().ok())
                {
                    with_app(move |app| remove_site(app, index));
                }
            }
        }
    });

    if let Some(file) = dom::by_id("import-file") {
        dom::listen(&file, "change", |event| {
            let Some(input) = event.target() else { return };
            let Some(file) = jwi_browser::bindings::first_file(&input) else {
                return;
            };
            // Choosing the same file again should import it again.
            dom::set_value("import-file", "");
            spawn_local(import(file));
        });
    }

    let on_storage =
        Closure::<dyn FnMut(JsValue, String)>::new(|changes: JsValue, area: String| {
            let changes = ext::from_js(&changes);
            let concerns_page = area == "managed"
                || changes.get(storage_keys::SETTINGS).is_some()
                || changes.get(storage_keys::SETTINGS_STATUS).is_some();
            if concerns_page {
                CHANGES.with(|c| c.set(c.get().wrapping_add(1)));
            }
            with_app(move |app| on_storage_changed(app, &changes, &area));
        });
    storage::ON_CHANGED.with(|e| e.add_listener(on_storage.as_ref().unchecked_ref()));
    on_storage.forget();
}

fn on_input(app: &mut App, id: &str) {
    match id {
        "site-add" => view::render_add_error(&[]),
        "site-test-url" => update_test_result(app),
        _ => {
            let read = view::read_form();
            settings_form::merge_edits(&mut app.form, &read, app.effective.locked());
            app.note = None;
            refresh(app);
        }
    }
}

fn on_change(app: &mut App, id: &str) {
    if let Some(path) = settings_form::path_of_input(id) {
        if path != "sites" {
            app.touched.insert(path.to_owned());
            let read = view::read_form();
            settings_form::merge_edits(&mut app.form, &read, app.effective.locked());
            refresh(app);
        }
    }
}

fn on_storage_changed(app: &mut App, changes: &Value, area: &str) {
    match area {
        "local" => {
            let Some(change) = changes.get(storage_keys::SETTINGS) else {
                return;
            };
            let new = change.get("newValue").cloned().unwrap_or(Value::Null);
            if app.pending_write.as_ref() == Some(&new) || new == app.stored {
                return;
            }
            someone_else_changed(app);
        }
        "managed" => spawn_local(reload_managed()),
        "session" => {
            if let Some(change) = changes.get(storage_keys::SETTINGS_STATUS) {
                app.status =
                    SettingsStatus::from_value(change.get("newValue").unwrap_or(&Value::Null));
                render_notices(app);
            }
        }
        _ => {}
    }
}

/// The settings or the policy changed outside this page: show the new ones, unless that
/// would lose unsaved edits (then say so and offer to).
fn someone_else_changed(app: &mut App) {
    if app.form.to_document() == app.baseline && !app.saving {
        spawn_local(load_all(None));
    } else {
        app.external_change = true;
        render_notices(app);
    }
}

// ----- site rules ----------------------------------------------------------------------------

fn add_site(app: &mut App) {
    if app.effective.is_locked("sites") {
        return;
    }
    let text = dom::value_of("site-add");
    if text.trim().is_empty() {
        dom::focus("site-add");
        return;
    }
    match settings_form::add_site(&app.form, &text, app.managed.as_ref()) {
        Ok(rule) => {
            app.form.sites.push(rule);
            app.note = None;
            dom::set_value("site-add", "");
            view::render_add_error(&[]);
            view::render_sites(&app.form.sites, false);
            refresh(app);
        }
        Err(problems) => view::render_add_error(&problems),
    }
    dom::focus("site-add");
}

fn remove_site(app: &mut App, index: usize) {
    if app.effective.is_locked("sites") || index >= app.form.sites.len() {
        return;
    }
    app.form.sites.remove(index);
    app.note = None;
    view::render_sites(&app.form.sites, false);
    refresh(app);
    // Keep the keyboard where it was: the next rule's button, else the previous, else the box.
    let next = if index < app.form.sites.len() {
        Some(index)
    } else {
        index.checked_sub(1)
    };
    match next {
        Some(i) => dom::focus(&format!("site-remove-{i}")),
        None => dom::focus("site-add"),
    }
}

// ----- saving --------------------------------------------------------------------------------

fn save(app: &mut App) {
    if app.saving {
        return;
    }
    let doc = app.form.to_document();
    let errors = settings_form::validate(&doc, app.managed.as_ref());
    if let Some(first) = errors.first() {
        app.show_all = true;
        app.note = None;
        refresh(app);
        let path = settings_form::shown_path(&first.path);
        let target = if settings_form::is_site_index(path) {
            path.trim_start_matches("sites[")
                .trim_end_matches(']')
                .parse::<usize>()
                .map(|i| format!("site-remove-{i}"))
                .unwrap_or_default()
        } else {
            settings_form::input_id(path)
                .map(str::to_owned)
                .unwrap_or_else(|| "save".to_owned())
        };
        dom::focus(&target);
        return;
    }
    let doc = settings_form::canonical(&doc);
    app.saving = true;
    app.note = None;
    app.pending_write = Some(doc.clone());
    refresh(app);
    spawn_local(async move {
        let result = storage::set_one(Area::Local, storage_keys::SETTINGS, doc.clone()).await;
        with_app(move |app| {
            app.saving = false;
            match result {
                Ok(_) => {
                    app.stored = doc.clone();
                    app.stored_problems.clear();
                    app.form = Form::from_document(&doc);
                    app.loaded_form = app.form.clone();
                    app.baseline = app.form.to_document();
                    app.effective = EffectiveSettings::resolve(Some(&doc), app.managed.as_ref());
                    app.touched.clear();
                    app.show_all = false;
                    app.external_change = false;
                    app.note = Some(("saved", t("options_saved", &[])));
                    dom::set_hidden("import-status", true);
                    render_all(app);
                    spawn_local(check_permissions());
                }
                Err(e) => {
                    app.pending_write = None;
                    app.note = Some(("error", t("options_saveFailed", &[&e])));
                    refresh(app);
                }
            }
        });
    });
}

fn revert(app: &mut App) {
    app.form = app.loaded_form.clone();
    app.touched.clear();
    app.show_all = false;
    app.note = None;
    view::render_add_error(&[]);
    render_all(app);
}

/// Writes a whole document as the user's settings (import, reset) and shows it.
async fn write_and_reload(doc: Value, note: (&'static str, String)) -> Result<(), String> {
    let pending = doc.clone();
    with_app(move |app| app.pending_write = Some(pending));
    storage::set_one(Area::Local, storage_keys::SETTINGS, doc).await?;
    load_all(Some(note)).await;
    Ok(())
}

// ----- import, export, reset -------------------------------------------------------------------

async fn import(file: web_sys::File) {
    let name = file.name();
    let size = file.size();
    if size > settings_form::MAX_IMPORT_FILE_BYTES {
        let problem = FieldError::new("", t("options_importTooLarge", &[&format!("{size:.0}")]));
        view::set_import_status("error", &t("options_importRefused", &[&name]), &[problem]);
        return;
    }
    let text = match ext::call(file.text()).await {
        Ok(text) => text.as_string().unwrap_or_default(),
        Err(e) => {
            let problem = FieldError::new("", e);
            view::set_import_status("error", &t("options_importRefused", &[&name]), &[problem]);
            return;
        }
    };
    match Settings::from_json(&text) {
        Err(problems) => {
            view::set_import_status(
                "error",
                &t("options_importRefused", &[&name]),
                problems.errors(),
            );
        }
        Ok(settings) => {
            let note = ("saved", t("options_imported", &[]));
            match write_and_reload(settings.to_value(), note).await {
                Ok(()) => view::set_import_status("ok", &t("options_importDone", &[&name]), &[]),
                Err(e) => view::set_import_status(
                    "error",
                    &t("options_importRefused", &[&name]),
                    &[FieldError::new("", e)],
                ),
            }
        }
    }
}

fn export() {
    let text = APP.with(|cell| {
        cell.borrow()
            .as_ref()
            .map(|app| app.effective.settings().to_json_pretty())
    });
    let Some(text) = text else { return };
    jwi_browser::bindings::download_text(
        "export-link",
        settings_form::EXPORT_FILE_NAME,
        &text,
        "application/json",
    );
}

fn reset_dialog() -> Option<web_sys::HtmlDialogElement> {
    dom::by_id("reset-confirm").map(JsCast::unchecked_into)
}

fn open_reset_dialog() {
    if let Some(dialog) = reset_dialog() {
        let _ = dialog.show_modal();
    }
}

fn close_reset_dialog() {
    if let Some(dialog) = reset_dialog() {
        dialog.close();
    }
}

async fn reset() {
    dom::set_hidden("import-status", true);
    let note = ("saved", t("options_resetDone", &[]));
    if let Err(e) = write_and_reload(Settings::default().to_value(), note).await {
        view::set_save_status("error", &t("options_saveFailed", &[&e]));
    }
}

// ----- host permission -----------------------------------------------------------------------

/// Checks that the browser lets the extension run on the sites in force, and shows the
/// permission banner if not (Firefox asks the user for host permissions of MV3 add-ons).
async fn check_permissions() {
    let origins = APP.with(|cell| {
        cell.borrow()
            .as_ref()
            .map(|app| settings_form::permission_origins(app.effective.settings().sites()))
            .unwrap_or_default()
    });
    let mut missing = Vec::new();
    for origin in origins {
        let query = ext::to_js(&json!({ "origins": [origin] }));
        let granted = match jwi_browser::bindings::permissions_contains(&query) {
            Ok(promise) => ext::call(promise)
                .await
                .map(|v| v.as_bool().unwrap_or(true))
                .unwrap_or(true),
            Err(_) => true,
        };
        if !granted {
            missing.push(origin);
        }
    }
    dom::set_attr(
        "permission-banner",
        "data-permission",
        if missing.is_empty() {
            "granted"
        } else {
            "missing"
        },
    );
    with_app(move |app| {
        app.missing_origins = missing;
        render_notices(app);
    });
}

fn request_permission() {
    let origins = APP.with(|cell| {
        cell.borrow()
            .as_ref()
            .map(|app| app.missing_origins.clone())
            .unwrap_or_default()
    });
    if origins.is_empty() {
        return;
    }
    let request =
        jwi_browser::bindings::permissions_request(&ext::to_js(&json!({ "origins": origins })));
    spawn_local(async move {
        let granted = match request {
            Ok(promise) => ext::call(promise).await.map(|v| v.as_bool() == Some(true)),
            Err(e) => Err(ext::error_text(&e)),
        };
        match granted {
            Ok(true) => {
                dom::set_text("permission-status", "");
                check_permissions().await;
            }
            Ok(false) => dom::set_text("permission-status", &t("options_permissionDenied", &[])),
            Err(e) => dom::set_text("permission-status", &t("options_permissionFailed", &[&e])),
        }
    });
}
