//! What the sandbox widget says to the visitor, in the visitor's language.
//!
//! The widget runs in a content script on someone else's page: `i18n.getMessage` there speaks
//! the browser's UI language, not the page's, and cannot be asked for another one. So the
//! visitor's words live here, as one typed table per language ([`Words::EN`], [`Words::RU`]),
//! chosen by the page's language tag ([`Lang::from_tags`]). A table is a struct literal, so the
//! compiler refuses a language that lacks a string; the tests check that no string is empty and
//! that every template has the same placeholders in both languages.
//!
//! Templates mark their arguments `$1`, `$2` (filled by [`fill`]).

use serde::{Deserialize, Serialize};

/// A language the widget speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English (also every language the widget does not speak).
    #[default]
    En,
    /// Russian.
    Ru,
}

impl Lang {
    /// The language for a BCP 47 tag (`ru`, `ru-RU`, `en-GB`…); `None` for one the widget does
    /// not speak (or an empty tag).
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "ru" => Some(Lang::Ru),
            _ => None,
        }
    }

    /// The visitor's language: the first of `tags` the widget speaks — the page's `<html lang>`
    /// first, then the browser's `navigator.language`; English when none is.
    ///
    /// A page that declares a language the widget does not speak falls through to the browser's
    /// (a German page read by a Russian-speaking visitor gets Russian).
    pub fn from_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> Lang {
        tags.into_iter()
            .find_map(Lang::from_tag)
            .unwrap_or_default()
    }

    /// The language's tag, for the widget's `lang` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }

    /// This language's table.
    pub fn words(self) -> &'static Words {
        match self {
            Lang::En => &Words::EN,
            Lang::Ru => &Words::RU,
        }
    }
}

/// Every string of the visitor's widget, in one language.
#[derive(Debug, PartialEq, Eq)]
pub struct Words {
    /// The launcher label while agents are online.
    pub label_online: &'static str,
    /// The launcher label while agents are offline.
    pub label_offline: &'static str,
    /// Spoken after the unread badge's number.
    pub unread_suffix: &'static str,
    /// Read out when the unread count grows (`$1`: the count).
    pub unread_announce: &'static str,
    /// The window title of the chat while agents are online.
    pub title_chat: &'static str,
    /// The window title of the chat while agents are offline.
    pub title_offline: &'static str,
    /// The window title of the callback form alone.
    pub title_call: &'static str,
    /// The window title of the channel menu.
    pub title_menu: &'static str,
    /// The status line: agents offline.
    pub status_offline: &'static str,
    /// The status line: agents online, nobody in the chat yet.
    pub status_online: &'static str,
    /// The status line: an agent is in the chat.
    pub status_joined: &'static str,
    /// The minimise button's name.
    pub minimise: &'static str,
    /// The menu's chat channel.
    pub menu_chat: &'static str,
    /// The menu's call channel, and the chat's way to the callback form.
    pub request_call: &'static str,
    /// The invitation bubble's close button.
    pub close_invitation: &'static str,
    /// The call indicator (`$1`: the phone number).
    pub calling_back: &'static str,
    /// The conversation list's name.
    pub conversation: &'static str,
    /// Spoken before a visitor's line.
    pub you: &'static str,
    /// Spoken before an agent's line.
    pub agent: &'static str,
    /// The system line when an agent joins the chat.
    pub agent_joined: &'static str,
    /// After the time of a message left while agents were offline.
    pub offline_message: &'static str,
    /// The contact form's heading.
    pub contact_heading: &'static str,
    /// The contact form's button.
    pub contact_send: &'static str,
    /// The offline form's heading.
    pub offline_heading: &'static str,
    /// The offline form's confirmation.
    pub offline_sent: &'static str,
    /// The offline form's button.
    pub offline_send: &'static str,
    /// The name field.
    pub field_name: &'static str,
    /// The e-mail field.
    pub field_email: &'static str,
    /// The phone field.
    pub field_phone: &'static str,
    /// The offline form's message field.
    pub field_message: &'static str,
    /// The chat input's name.
    pub input_name: &'static str,
    /// The chat input's placeholder.
    pub input_placeholder: &'static str,
    /// The chat input's button.
    pub send: &'static str,
    /// The callback form's phone field.
    pub callback_phone: &'static str,
    /// The callback form's button.
    pub callback_send: &'static str,
    /// The callback form while callbacks are off.
    pub callback_unavailable: &'static str,
    /// The last call went through (`$1`: the phone number).
    pub call_ended: &'static str,
    /// The last call failed (`$1`: the phone number).
    pub call_failed: &'static str,
    /// Back from the callback form to the chat.
    pub back_to_chat: &'static str,
    /// Closes the callback form shown alone.
    pub close: &'static str,
    /// A form error: the phone number is not one.
    pub error_phone: &'static str,
    /// A form error: the e-mail address is not one.
    pub error_email: &'static str,
    /// A form error: the name is too long.
    pub error_name: &'static str,
    /// A form error: the offline message is empty or too long.
    pub error_message: &'static str,
    /// A form error: an offline message needs an e-mail address or a phone number.
    pub error_email_or_phone: &'static str,
    /// A form error: the contact form is empty.
    pub error_contact_empty: &'static str,
    /// A form error: a call is already under way.
    pub error_call_in_progress: &'static str,
    /// A form error of any other kind.
    pub error_other: &'static str,
}

impl Words {
    /// English.
    pub const EN: Words = Words {
        label_online: "Chat with us",
        label_offline: "Leave a message",
        unread_suffix: " unread",
        unread_announce: "Unread messages: $1",
        title_chat: "Chat",
        title_offline: "Leave us a message",
        title_call: "Request a call",
        title_menu: "How would you like to contact us?",
        status_offline: "We are offline",
        status_online: "Online",
        status_joined: "An agent is in the chat",
        minimise: "Minimise",
        menu_chat: "Chat",
        request_call: "Request a call",
        close_invitation: "Close invitation",
        calling_back: "Calling you back at $1",
        conversation: "Conversation",
        you: "You: ",
        agent: "Agent: ",
        agent_joined: "An agent joined the chat",
        offline_message: "left while we were offline",
        contact_heading: "Introduce yourself",
        contact_send: "Send my details",
        offline_heading: "Leave a message",
        offline_sent: "Thank you, your message has been sent.",
        offline_send: "Send message",
        field_name: "Name",
        field_email: "E-mail",
        field_phone: "Phone",
        field_message: "Message",
        input_name: "Message",
        input_placeholder: "Type a message",
        send: "Send",
        callback_phone: "Your phone number",
        callback_send: "Call me back",
        callback_unavailable: "Callbacks are unavailable right now.",
        call_ended: "Call to $1 ended",
        call_failed: "Call to $1 did not go through",
        back_to_chat: "Back to chat",
        close: "Close",
        error_phone: "Please enter a phone number, like +1 555 123 4567",
        error_email: "Please enter an e-mail address, like name@example.com",
        error_name: "Please enter a shorter name",
        error_message: "Please write a message (up to a few thousand characters)",
        error_email_or_phone:
            "Please leave an e-mail address or a phone number so that we can answer",
        error_contact_empty: "Please enter your name, e-mail address or phone number",
        error_call_in_progress: "We are already calling you back",
        error_other: "Please check what you entered",
    };

    /// Russian.
    pub const RU: Words = Words {
        label_online: "Напишите нам",
        label_offline: "Оставьте сообщение",
        unread_suffix: " непрочитанных",
        unread_announce: "Непрочитанных сообщений: $1",
        title_chat: "Чат",
        title_offline: "Оставьте нам сообщение",
        title_call: "Заказать звонок",
        title_menu: "Как с нами связаться?",
        status_offline: "Сейчас мы не в сети",
        status_online: "В сети",
        status_joined: "Оператор в чате",
        minimise: "Свернуть",
        menu_chat: "Чат",
        request_call: "Заказать звонок",
        close_invitation: "Закрыть приглашение",
        calling_back: "Перезваниваем вам на номер $1",
        conversation: "Переписка",
        you: "Вы: ",
        agent: "Оператор: ",
        agent_joined: "Оператор подключился к чату",
        offline_message: "оставлено, когда мы были не в сети",
        contact_heading: "Представьтесь",
        contact_send: "Отправить контакты",
        offline_heading: "Оставьте сообщение",
        offline_sent: "Спасибо, ваше сообщение отправлено.",
        offline_send: "Отправить сообщение",
        field_name: "Имя",
        field_email: "Эл. почта",
        field_phone: "Телефон",
        field_message: "Сообщение",
        input_name: "Сообщение",
        input_placeholder: "Введите сообщение",
        send: "Отправить",
        callback_phone: "Ваш номер телефона",
        callback_send: "Перезвоните мне",
        callback_unavailable: "Обратный звонок сейчас недоступен.",
        call_ended: "Звонок на номер $1 завершён",
        call_failed: "Не удалось дозвониться на номер $1",
        back_to_chat: "Назад в чат",
        close: "Закрыть",
        error_phone: "Введите номер телефона, например +7 495 123-45-67",
        error_email: "Введите адрес электронной почты, например name@example.com",
        error_name: "Введите имя покороче",
        error_message: "Напишите сообщение (не длиннее нескольких тысяч знаков)",
        error_email_or_phone: "Оставьте адрес почты или номер телефона, чтобы мы могли ответить",
        error_contact_empty: "Введите имя, адрес почты или номер телефона",
        error_call_in_progress: "Мы уже перезваниваем вам",
        error_other: "Проверьте, что вы ввели",
    };

    /// Every string with its name, for the tests (and anyone listing the table).
    pub fn all(&self) -> Vec<(&'static str, &'static str)> {
        let Words {
            label_online,
            label_offline,
            unread_suffix,
            unread_announce,
            title_chat,
            title_offline,
            title_call,
            title_menu,
            status_offline,
            status_online,
            status_joined,
            minimise,
            menu_chat,
            request_call,
            close_invitation,
            calling_back,
            conversation,
            you,
            agent,
            agent_joined,
            offline_message,
            contact_heading,
            contact_send,
            offline_heading,
            offline_sent,
            offline_send,
            field_name,
            field_email,
            field_phone,
            field_message,
            input_name,
            input_placeholder,
            send,
            callback_phone,
            callback_send,
            callback_unavailable,
            call_ended,
            call_failed,
            back_to_chat,
            close,
            error_phone,
            error_email,
            error_name,
            error_message,
            error_email_or_phone,
            error_contact_empty,
            error_call_in_progress,
            error_other,
        } = self;
        macro_rules! named {
            ($($f:ident),*) => { vec![$((stringify!($f), *$f)),*] };
        }
        named!(
            label_online,
            label_offline,
            unread_suffix,
            unread_announce,
            title_chat,
            title_offline,
            title_call,
            title_menu,
            status_offline,
            status_online,
            status_joined,
            minimise,
            menu_chat,
            request_call,
            close_invitation,
            calling_back,
            conversation,
            you,
            agent,
            agent_joined,
            offline_message,
            contact_heading,
            contact_send,
            offline_heading,
            offline_sent,
            offline_send,
            field_name,
            field_email,
            field_phone,
            field_message,
            input_name,
            input_placeholder,
            send,
            callback_phone,
            callback_send,
            callback_unavailable,
            call_ended,
            call_failed,
            back_to_chat,
            close,
            error_phone,
            error_email,
            error_name,
            error_message,
            error_email_or_phone,
            error_contact_empty,
            error_call_in_progress,
            error_other
        )
    }
}

/// `template` with `$1`, `$2`… replaced by `args` (at most nine; a missing argument leaves its
/// marker).
pub fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' {
            if let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                if let Some(a) = (d as usize).checked_sub(1).and_then(|i| args.get(i)) {
                    chars.next();
                    out.push_str(a);
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

/// What the visitor did wrong in a form, in words for the visitor (never the developer's
/// argument error) and tied to the field it is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FormProblem {
    /// The phone number is not one.
    Phone,
    /// The e-mail address is not one.
    Email,
    /// The name is too long.
    Name,
    /// The offline message is empty or too long.
    Message,
    /// An offline message needs an e-mail address or a phone number.
    EmailOrPhone,
    /// The contact form was sent empty.
    ContactEmpty,
    /// Callbacks were switched off while the form was open.
    CallbacksUnavailable,
    /// A call is already under way.
    CallInProgress,
    /// Anything else.
    Other,
}

impl FormProblem {
    /// The problem for an argument error about the form field `field` (`name`, `email`,
    /// `phone`, `message`, `email or phone`).
    pub fn of_field(field: &str) -> FormProblem {
        match field {
            "phone" => FormProblem::Phone,
            "email" => FormProblem::Email,
            "name" => FormProblem::Name,
            "message" => FormProblem::Message,
            "email or phone" => FormProblem::EmailOrPhone,
            _ => FormProblem::Other,
        }
    }

    /// The field it is about (`name`, `email`, `phone`, `message`), if one.
    pub fn field(self) -> Option<&'static str> {
        match self {
            FormProblem::Phone => Some("phone"),
            FormProblem::Email | FormProblem::EmailOrPhone => Some("email"),
            FormProblem::Name | FormProblem::ContactEmpty => Some("name"),
            FormProblem::Message => Some("message"),
            _ => None,
        }
    }

    /// The sentence for the visitor.
    pub fn text(self, w: &Words) -> &'static str {
        match self {
            FormProblem::Phone => w.error_phone,
            FormProblem::Email => w.error_email,
            FormProblem::Name => w.error_name,
            FormProblem::Message => w.error_message,
            FormProblem::EmailOrPhone => w.error_email_or_phone,
            FormProblem::ContactEmpty => w.error_contact_empty,
            FormProblem::CallbacksUnavailable => w.callback_unavailable,
            FormProblem::CallInProgress => w.error_call_in_progress,
            FormProblem::Other => w.error_other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::placeholders;

    #[test]
    fn every_language_has_every_string_with_the_same_placeholders() {
        let en = Words::EN.all();
        for lang in [Lang::En, Lang::Ru] {
            let table = lang.words().all();
            assert_eq!(table.len(), en.len(), "{lang:?}");
            for ((name, text), (en_name, en_text)) in table.iter().zip(&en) {
                assert_eq!(name, en_name);
                assert!(!text.trim().is_empty(), "{lang:?}.{name} is empty");
                assert_eq!(
                    placeholders(text),
                    placeholders(en_text),
                    "{lang:?}.{name}: {text}"
                );
            }
        }
        // The Russian table is a translation, not a copy.
        let same: Vec<_> = Words::RU
            .all()
            .iter()
            .zip(&en)
            .filter(|(r, e)| r.1 == e.1)
            .map(|(r, _)| r.0)
            .collect();
        assert!(same.is_empty(), "untranslated: {same:?}");
    }

    #[test]
    fn the_page_language_comes_first_then_the_browser() {
        assert_eq!(Lang::from_tags(["ru-RU", "en-US"]), Lang::Ru);
        assert_eq!(Lang::from_tags(["", "ru"]), Lang::Ru);
        assert_eq!(Lang::from_tags(["de", "ru"]), Lang::Ru);
        assert_eq!(Lang::from_tags(["EN_gb", "ru"]), Lang::En);
        assert_eq!(Lang::from_tags(["de", "fr"]), Lang::En);
        assert_eq!(Lang::from_tags([] as [&str; 0]), Lang::En);
        assert_eq!(Lang::from_tag("russian"), None);
    }

    #[test]
    fn fill_replaces_numbered_markers() {
        assert_eq!(
            fill("Call to $1 ended", &["+1 555"]),
            "Call to +1 555 ended"
        );
        assert_eq!(fill("$2-$1 $3 $", &["a", "b"]), "b-a $3 $");
    }

    #[test]
    fn form_problems_name_their_field() {
        assert_eq!(FormProblem::of_field("phone").field(), Some("phone"));
        assert_eq!(
            FormProblem::of_field("email or phone").field(),
            Some("email")
        );
        assert_eq!(FormProblem::of_field("description"), FormProblem::Other);
        let w = Lang::En.words();
        assert!(FormProblem::Phone.text(w).contains("+1 555 123 4567"));
    }
}
