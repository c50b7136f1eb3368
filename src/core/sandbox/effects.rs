//! What the shell must do after an input: fire callbacks on the page, persist the record,
//! re-render, remove the widget.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::Callback;

/// One thing for the browser shell to do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Effect {
    /// Call `window[callback.name()](...args)` on the page, asynchronously (after any `Reply`
    /// has been returned), in list order.
    Fire(Callback, Vec<Value>),
    /// The visitor record or the agent state changed: store
    /// [`Sandbox::record`](super::Sandbox::record) with
    /// [`Sandbox::agent_state`](super::Sandbox::agent_state).
    Persist,
    /// The widget view or the agent view changed: render
    /// [`Sandbox::widget_view`](super::Sandbox::widget_view) and send
    /// [`Sandbox::agent_view`](super::Sandbox::agent_view) to the popup.
    Render,
    /// `jivo_destroy()` removed the widget: tear its view down.
    Destroyed,
}

/// The ordered effects of one input.
///
/// Order: `Destroyed` (if any), `Persist` (at most once), `Render` (at most once), then the
/// callbacks in the order the page should see them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Effects(Vec<Effect>);

impl Effects {
    /// No effects.
    pub fn none() -> Effects {
        Effects(Vec::new())
    }

    /// Builds the list in the documented order.
    pub(crate) fn build(
        destroyed: bool,
        persist: bool,
        render: bool,
        fires: Vec<(Callback, Vec<Value>)>,
    ) -> Effects {
        let mut v = Vec::with_capacity(fires.len() + 3);
        if destroyed {
            v.push(Effect::Destroyed);
        }
        if persist {
            v.push(Effect::Persist);
        }
        if render {
            v.push(Effect::Render);
        }
        v.extend(fires.into_iter().map(|(c, a)| Effect::Fire(c, a)));
        Effects(v)
    }

    /// The effects, in order.
    pub fn as_slice(&self) -> &[Effect] {
        &self.0
    }

    /// The effects, in order.
    pub fn into_vec(self) -> Vec<Effect> {
        self.0
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The callbacks to fire with their arguments, in order.
    pub fn fired(&self) -> Vec<(Callback, &[Value])> {
        self.0
            .iter()
            .filter_map(|e| match e {
                Effect::Fire(c, a) => Some((*c, a.as_slice())),
                _ => None,
            })
            .collect()
    }

    /// The callbacks to fire, in order, without arguments.
    pub fn callbacks(&self) -> Vec<Callback> {
        self.fired().into_iter().map(|(c, _)| c).collect()
    }

    /// Whether the record must be stored.
    pub fn persists(&self) -> bool {
        self.0.contains(&Effect::Persist)
    }

    /// Whether a view changed.
    pub fn renders(&self) -> bool {
        self.0.contains(&Effect::Render)
    }

    /// Whether the widget was removed.
    pub fn destroys(&self) -> bool {
        self.0.contains(&Effect::Destroyed)
    }
}

impl IntoIterator for Effects {
    type Item = Effect;
    type IntoIter = std::vec::IntoIter<Effect>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Effects {
    type Item = &'a Effect;
    type IntoIter = core::slice::Iter<'a, Effect>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
