//! UTM tags: the `utm_*` query parameters of the first page a visitor opened, as
//! `jivo_api.getUtm()` reports them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::api::call::MAX_TEXT_CHARS;

/// The five UTM tags of a URL; a tag that is absent or empty is `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Utm {
    /// `utm_source`: the campaign source.
    pub source: Option<String>,
    /// `utm_medium`: the traffic type.
    pub medium: Option<String>,
    /// `utm_campaign`: the campaign name.
    pub campaign: Option<String>,
    /// `utm_content`: the ad id.
    pub content: Option<String>,
    /// `utm_term`: the keyword.
    pub term: Option<String>,
}

impl Utm {
    /// Whether no tag is set.
    pub fn is_empty(&self) -> bool {
        self.source.is_none()
            && self.medium.is_none()
            && self.campaign.is_none()
            && self.content.is_none()
            && self.term.is_none()
    }

    /// Exactly what `getUtm()` returns: an object with all five keys (`source`, `medium`,
    /// `campaign`, `content`, `term`), `null` for each tag the first URL did not carry, so
    /// that `utm.term` is `null` rather than `undefined` and the object's shape never varies.
    pub fn to_value(&self) -> Value {
        let s = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
        let mut m = Map::new();
        m.insert("source".into(), s(&self.source));
        m.insert("medium".into(), s(&self.medium));
        m.insert("campaign".into(), s(&self.campaign));
        m.insert("content".into(), s(&self.content));
        m.insert("term".into(), s(&self.term));
        Value::Object(m)
    }
}

/// Reads the `utm_source`, `utm_medium`, `utm_campaign`, `utm_content` and `utm_term`
/// parameters from a URL's query (the part between `?` and `#`).
///
/// Parameter names match exactly (lower case, as analytics tools write them); values are
/// URL-decoded (`%20` and `+` are spaces; invalid escapes are kept as written; invalid UTF-8
/// is replaced), trimmed, and cut to [`MAX_TEXT_CHARS`]; the first non-empty occurrence of a
/// name wins. Never fails: a URL without a query has no tags.
///
/// ```
/// use jwi_core::sandbox::parse_utm;
/// let utm = parse_utm("https://shop.example/?utm_source=google&utm_campaign=spring+sale#top");
/// assert_eq!(utm.source.as_deref(), Some("google"));
/// assert_eq!(utm.campaign.as_deref(), Some("spring sale"));
/// assert_eq!(utm.medium, None);
/// ```
pub fn parse_utm(url: &str) -> Utm {
    let mut utm = Utm::default();
    let without_fragment = url.split('#').next().unwrap_or("");
    let Some((_, query)) = without_fragment.split_once('?') else {
        return utm;
    };
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match url_decode(k).as_str() {
            "utm_source" => &mut utm.source,
            "utm_medium" => &mut utm.medium,
            "utm_campaign" => &mut utm.campaign,
            "utm_content" => &mut utm.content,
            "utm_term" => &mut utm.term,
            _ => continue,
        };
        if slot.is_some() {
            continue;
        }
        let value = url_decode(v);
        let value = value.trim();
        if !value.is_empty() {
            *slot = Some(value.chars().take(MAX_TEXT_CHARS).collect());
        }
    }
    utm
}

/// `application/x-www-form-urlencoded` decoding of one component.
fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match (b.get(i + 1).and_then(hex), b.get(i + 2).and_then(hex)) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: &u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn reads_all_five_tags() {
        let u = parse_utm(
            "https://x.y/p?a=1&utm_source=news%20letter&utm_medium=email&utm_campaign=c+1\
             &utm_content=ad%2F7&utm_term=shoes#frag?utm_source=no",
        );
        assert_eq!(
            u,
            Utm {
                source: Some("news letter".into()),
                medium: Some("email".into()),
                campaign: Some("c 1".into()),
                content: Some("ad/7".into()),
                term: Some("shoes".into()),
            }
        );
    }

    #[test]
    fn absent_empty_repeated_and_odd_input() {
        assert!(parse_utm("https://x.y/").is_empty());
        assert!(parse_utm("https://x.y/#/r?utm_source=hash").is_empty());
        assert!(parse_utm("https://x.y/?utm_source=&utm_medium").is_empty());
        assert!(parse_utm("").is_empty());
        let u = parse_utm("?utm_source=&utm_source=a&utm_source=b");
        assert_eq!(u.source.as_deref(), Some("a"));
        let u = parse_utm("?UTM_SOURCE=a&utm_medium=%zz%4");
        assert_eq!(u.source, None);
        assert_eq!(u.medium.as_deref(), Some("%zz%4"));
        let u = parse_utm("?utm_term=%D1%82%D0%B5%D1%81%D1%82");
        assert_eq!(u.term.as_deref(), Some("тест"));
        let u = parse_utm("?utm_term=%FF");
        assert_eq!(u.term.as_deref(), Some("\u{fffd}"));
        let u = parse_utm("?utm%5Fsource=enc");
        assert_eq!(u.source.as_deref(), Some("enc"));
    }

    #[test]
    fn get_utm_shape_has_every_key() {
        assert_eq!(
            Utm::default().to_value(),
            json!({"source": null, "medium": null, "campaign": null, "content": null, "term": null})
        );
        let u = parse_utm("?utm_source=g");
        assert_eq!(u.to_value()["source"], json!("g"));
    }

    proptest! {
        #[test]
        fn never_panics(url in ".{0,80}") {
            let u = parse_utm(&url);
            for v in [&u.source, &u.medium, &u.campaign, &u.content, &u.term].into_iter().flatten() {
                prop_assert!(!v.is_empty());
                prop_assert_eq!(v.trim(), v.as_str());
            }
        }
    }
}
