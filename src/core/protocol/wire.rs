//! Hand-written `Deserialize` for what the content script reads from the page:
//! [`FromPage`](super::page::FromPage) and the names in it ([`Callback`](crate::api::Callback),
//! [`Method`](crate::api::Method)).
//!
//! Every matched page compiles the content script's decoders, and serde's derived ones are the
//! largest code in it: for each struct variant a visitor for the map form *and* for the array
//! form (`[true]` for `{"jivoApiPresent":true}`), and for each field and variant name an
//! identifier visitor that also takes indexes and bytes. The shim writes only maps with
//! named fields (`extension/shim.js`), so these read only that: one map holding one variant
//! name, whose value is a map of that variant's named fields. One seed ([`Names`]) reads every
//! field and variant name, for every type. What they accept is what the derived decoders
//! accepted from the shim, and what they refuse (unknown variants and fields, a missing field,
//! a second variant, the array form) they refuse as [`DecodeError::Malformed`](super::DecodeError).
//! A field given twice keeps its last value. The fields that may be left out: `args` (no
//! arguments), `returned` and `script` (none), `unsent` (0).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::page::FromPage;

/// Reads a name from a fixed list, as its index; any other name is an error. One type for
/// every field list and variant list (so one copy of its code per deserializer).
struct Names {
    names: &'static [&'static str],
    /// Variant names rather than field names (for the error message).
    variants: bool,
}

impl<'de> DeserializeSeed<'de> for Names {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for Names {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.variants {
            "a variant name"
        } else {
            "a field name"
        })
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        match self.names.iter().position(|n| *n == v) {
            Some(i) => Ok(i),
            None if self.variants => Err(E::unknown_variant(v, self.names)),
            None => Err(E::unknown_field(v, self.names)),
        }
    }
}

/// Reads a name that `from_name` knows (a unit enum's wire name).
struct Named<T> {
    from_name: fn(&str) -> Option<T>,
    expecting: &'static str,
}

impl<T> Visitor<'_> for Named<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.from_name)(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

/// Implements `Serialize` and `Deserialize` for a unit enum as its wire name: written with its
/// `name()`, read back with its `from_name()` (so its names are written once, in `name()`);
/// the second argument says what a bad name should have been.
macro_rules! serde_by_name {
    ($ty:ty, $expecting:literal) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                $crate::protocol::wire::by_name(d, <$ty>::from_name, $expecting)
            }
        }
    };
}
pub(crate) use serde_by_name;

/// Deserialises a unit enum from its wire name, through its `from_name` ([`serde_by_name`]).
pub(crate) fn by_name<'de, D: Deserializer<'de>, T>(
    d: D,
    from_name: fn(&str) -> Option<T>,
    expecting: &'static str,
) -> Result<T, D::Error> {
    d.deserialize_str(Named {
        from_name,
        expecting,
    })
}

/// `FromPage`'s variants, by wire name, in the order [`Body`] matches them.
const VARIANTS: &[&str] = &[
    "ready",
    "callback",
    "callbackThrew",
    "apiCalled",
    "history",
    "sandboxCall",
    "sandboxRead",
    "apiResult",
    "siteApi",
    "loadUnheard",
    "scriptFailed",
    "batch",
    "handlerDefined",
    "widgetRemoved",
];

impl<'de> Deserialize<'de> for FromPage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FromPage, D::Error> {
        d.deserialize_map(Message)
    }
}

/// A whole message: `{"<variant>": {…}}`.
struct Message;

impl<'de> Visitor<'de> for Message {
    type Value = FromPage;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a page message")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FromPage, A::Error> {
        let variants = || Names {
            names: VARIANTS,
            variants: true,
        };
        let Some(variant) = map.next_key_seed(variants())? else {
            return Err(de::Error::invalid_length(0, &self));
        };
        let message = map.next_value_seed(Body(variant))?;
        match map.next_key_seed(variants())? {
            None => Ok(message),
            Some(_) => Err(de::Error::invalid_length(2, &self)),
        }
    }
}

/// A variant's fields, as a map; `.0` is its index in [`VARIANTS`].
struct Body(usize);

impl<'de> DeserializeSeed<'de> for Body {
    type Value = FromPage;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<FromPage, D::Error> {
        d.deserialize_map(self)
    }
}

/// Reads a map's fields into `Option`s named after them; an unknown field is an error.
macro_rules! fields {
    ($map:ident {}) => {
        while $map.next_key_seed(Names { names: &[], variants: false })?.is_some() {}
    };
    ($map:ident { $($name:literal => $var:ident),* }) => {
        $(let mut $var = None;)*
        const NAMES: &[&str] = &[$($name),*];
        while let Some(i) = $map.next_key_seed(Names { names: NAMES, variants: false })? {
            match NAMES[i] {
                $($name => $var = Some($map.next_value()?),)*
                _ => {}
            }
        }
    };
}

/// The value of a field the message must have.
fn required<T, E: de::Error>(value: Option<T>, name: &'static str) -> Result<T, E> {
    value.ok_or_else(|| E::missing_field(name))
}

impl<'de> Visitor<'de> for Body {
    type Value = FromPage;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the fields of {}", VARIANTS[self.0])
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FromPage, A::Error> {
        Ok(match self.0 {
            0 => {
                fields!(map { "jivoApiPresent" => present });
                FromPage::Ready {
                    jivo_api_present: required(present, "jivoApiPresent")?,
                }
            }
            1 => {
                fields!(map { "name" => name, "args" => args });
                FromPage::Callback {
                    name: required(name, "name")?,
                    args: args.unwrap_or_default(),
                }
            }
            2 => {
                fields!(map { "name" => name, "message" => message });
                FromPage::CallbackThrew {
                    name: required(name, "name")?,
                    message: required(message, "message")?,
                }
            }
            3 => {
                fields!(map { "method" => method, "args" => args, "returned" => returned });
                FromPage::ApiCalled {
                    method: required(method, "method")?,
                    args: args.unwrap_or_default(),
                    returned: returned.flatten(),
                }
            }
            4 => {
                fields!(map { "kind" => kind });
                FromPage::History {
                    kind: required(kind, "kind")?,
                }
            }
            5 => {
                fields!(map { "method" => method, "args" => args });
                FromPage::SandboxCall {
                    method: required(method, "method")?,
                    args: args.unwrap_or_default(),
                }
            }
            6 => {
                fields!(map { "method" => method, "returned" => returned });
                FromPage::SandboxRead {
                    method: required(method, "method")?,
                    returned: returned.flatten(),
                }
            }
            7 => {
                fields!(map { "id" => id, "outcome" => outcome });
                FromPage::ApiResult {
                    id: required(id, "id")?,
                    outcome: required(outcome, "outcome")?,
                }
            }
            8 => {
                fields!(map {});
                FromPage::SiteApi {}
            }
            9 => {
                fields!(map {});
                FromPage::LoadUnheard {}
            }
            10 => {
                fields!(map { "src" => src });
                FromPage::ScriptFailed {
                    src: required(src, "src")?,
                }
            }
            11 => {
                fields!(map { "messages" => messages, "unsent" => unsent });
                FromPage::Batch {
                    messages: required(messages, "messages")?,
                    unsent: unsent.unwrap_or_default(),
                }
            }
            12 => {
                fields!(map { "name" => name, "script" => script });
                FromPage::HandlerDefined {
                    name: required(name, "name")?,
                    script: script.flatten(),
                }
            }
            _ => {
                fields!(map { "how" => how });
                FromPage::WidgetRemoved {
                    how: required(how, "how")?,
                }
            }
        })
    }
}
