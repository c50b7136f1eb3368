//! The JivoChat Widget API vocabulary: the 13 callbacks a widget calls on the page and the
//! 20 entry points a page (or the popup's API console) can call.
//!
//! Names are exactly the documented ones, so a log entry, a console control and a test all say
//! `jivo_onOpen` or `setWidgetColor`, never an internal alias.

pub mod call;

use crate::protocol::serde_by_name;

/// A function the widget calls on the page to report an event (`window.jivo_on…`).
///
/// On the wire it is its [`name`](Callback::name), as a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Callback {
    OnLoadCallback,
    OnOpen,
    OnClose,
    OnChangeState,
    OnMessageSent,
    OnClientStartChat,
    OnIntroduction,
    OnAccept,
    OnMessageReceived,
    OnCallStart,
    OnCallEnd,
    OnResizeCallback,
    OnWidgetDestroy,
}

impl Callback {
    /// Every callback, in the reference's order.
    pub const ALL: [Callback; 13] = [
        Callback::OnLoadCallback,
        Callback::OnOpen,
        Callback::OnClose,
        Callback::OnChangeState,
        Callback::OnMessageSent,
        Callback::OnClientStartChat,
        Callback::OnIntroduction,
        Callback::OnAccept,
        Callback::OnMessageReceived,
        Callback::OnCallStart,
        Callback::OnCallEnd,
        Callback::OnResizeCallback,
        Callback::OnWidgetDestroy,
    ];

    /// The global function name the page defines, e.g. `jivo_onOpen`.
    pub fn name(self) -> &'static str {
        match self {
            Callback::OnLoadCallback => "jivo_onLoadCallback",
            Callback::OnOpen => "jivo_onOpen",
            Callback::OnClose => "jivo_onClose",
            Callback::OnChangeState => "jivo_onChangeState",
            Callback::OnMessageSent => "jivo_onMessageSent",
            Callback::OnClientStartChat => "jivo_onClientStartChat",
            Callback::OnIntroduction => "jivo_onIntroduction",
            Callback::OnAccept => "jivo_onAccept",
            Callback::OnMessageReceived => "jivo_onMessageReceived",
            Callback::OnCallStart => "jivo_onCallStart",
            Callback::OnCallEnd => "jivo_onCallEnd",
            Callback::OnResizeCallback => "jivo_onResizeCallback",
            Callback::OnWidgetDestroy => "jivo_onWidgetDestroy",
        }
    }

    /// The callback with this global name, if it is one.
    pub fn from_name(name: &str) -> Option<Callback> {
        Callback::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// One of the 20 entry points: the 18 `jivo_api` methods and the globals `jivo_init` and
/// `jivo_destroy`.
///
/// On the wire it is its [`name`](Method::name), as a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Open,
    Close,
    ShowProactiveInvitation,
    SetWidgetColor,
    ChatMode,
    StartCall,
    SendOfflineMessage,
    SendPageTitle,
    SetContactInfo,
    SetCustomData,
    SetUserToken,
    SetRules,
    GetContactInfo,
    GetVisitorNumber,
    GetUnreadMessagesCount,
    GetUtm,
    IsCallbackEnabled,
    ClearHistory,
    JivoInit,
    JivoDestroy,
}

impl Method {
    /// Every entry point, `jivo_api` methods first in the reference's order.
    pub const ALL: [Method; 20] = [
        Method::Open,
        Method::Close,
        Method::ShowProactiveInvitation,
        Method::SetWidgetColor,
        Method::ChatMode,
        Method::StartCall,
        Method::SendOfflineMessage,
        Method::SendPageTitle,
        Method::SetContactInfo,
        Method::SetCustomData,
        Method::SetUserToken,
        Method::SetRules,
        Method::GetContactInfo,
        Method::GetVisitorNumber,
        Method::GetUnreadMessagesCount,
        Method::GetUtm,
        Method::IsCallbackEnabled,
        Method::ClearHistory,
        Method::JivoInit,
        Method::JivoDestroy,
    ];

    /// The name a page uses: `open` for `jivo_api.open`, `jivo_init` for the global.
    pub fn name(self) -> &'static str {
        match self {
            Method::Open => "open",
            Method::Close => "close",
            Method::ShowProactiveInvitation => "showProactiveInvitation",
            Method::SetWidgetColor => "setWidgetColor",
            Method::ChatMode => "chatMode",
            Method::StartCall => "startCall",
            Method::SendOfflineMessage => "sendOfflineMessage",
            Method::SendPageTitle => "sendPageTitle",
            Method::SetContactInfo => "setContactInfo",
            Method::SetCustomData => "setCustomData",
            Method::SetUserToken => "setUserToken",
            Method::SetRules => "setRules",
            Method::GetContactInfo => "getContactInfo",
            Method::GetVisitorNumber => "getVisitorNumber",
            Method::GetUnreadMessagesCount => "getUnreadMessagesCount",
            Method::GetUtm => "getUtm",
            Method::IsCallbackEnabled => "isCallbackEnabled",
            Method::ClearHistory => "clearHistory",
            Method::JivoInit => "jivo_init",
            Method::JivoDestroy => "jivo_destroy",
        }
    }

    /// The entry point with this name, if it is one.
    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether this is a method of `window.jivo_api` (as opposed to a global function).
    pub fn is_jivo_api_method(self) -> bool {
        !matches!(self, Method::JivoInit | Method::JivoDestroy)
    }

    /// Whether the reference documents the result as delivered to a callback argument
    /// (`getVisitorNumber(cb(err, number))`, `isCallbackEnabled(cb(result))`) rather than returned.
    pub fn answers_through_callback(self) -> bool {
        matches!(self, Method::GetVisitorNumber | Method::IsCallbackEnabled)
    }
}

serde_by_name!(Callback, "a jivo_on… callback name");
serde_by_name!(Method, "a Widget API entry point name");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_the_reference() {
        assert_eq!(Callback::ALL.len(), 13);
        assert_eq!(
            Method::ALL
                .iter()
                .filter(|m| m.is_jivo_api_method())
                .count(),
            18
        );
    }

    #[test]
    fn names_round_trip_through_serde_and_lookup() {
        for c in Callback::ALL {
            assert_eq!(Callback::from_name(c.name()), Some(c));
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.name())
            );
        }
        for m in Method::ALL {
            assert_eq!(Method::from_name(m.name()), Some(m));
            assert_eq!(
                serde_json::to_string(&m).unwrap(),
                format!("\"{}\"", m.name())
            );
        }
    }
}
