//! [`Phrase`]: a sentence the core makes (a finding's detail, why arguments were refused) that a
//! surface says in its reader's language.
//!
//! A phrase names a `_locales` message key and carries its English template (`$1`… for its
//! parts), so the core can say it in English with no browser (files, the page's `{result:
//! 'fail'}` reasons, tests) and a surface can look the key up and fall back to the same English.
//! Native tests check that `extension/_locales/en` holds exactly each template and that the
//! Russian has the same `$n` parts. Parts are the page's own values (said as they are) or other
//! phrases (said in the same language).

/// One part of a [`Phrase`]: `$1`, `$2`… of its template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Said as it is: a value from the page, a name from the Widget API, a number.
    Text(String),
    /// Said in the reader's language.
    Phrase(Phrase),
}

impl From<String> for Part {
    fn from(s: String) -> Part {
        Part::Text(s)
    }
}

impl From<&str> for Part {
    fn from(s: &str) -> Part {
        Part::Text(s.to_owned())
    }
}

impl From<Phrase> for Part {
    fn from(p: Phrase) -> Part {
        Part::Phrase(p)
    }
}

/// A sentence with its `_locales` key, English template and parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phrase {
    /// The `_locales` message key, e.g. `arg_not_string`.
    pub key: &'static str,
    /// The English message, exactly as `extension/_locales/en/messages.json` has it.
    pub english: &'static str,
    /// The values of `$1`, `$2`… (at most nine, as `i18n.getMessage` takes).
    pub parts: Vec<Part>,
}

impl Phrase {
    /// A phrase of `key` with its English template and parts.
    pub fn new(key: &'static str, english: &'static str, parts: Vec<Part>) -> Phrase {
        debug_assert!(parts.len() <= 9, "{key}: i18n takes at most nine parts");
        Phrase {
            key,
            english,
            parts,
        }
    }

    /// The phrase in English.
    pub fn english(&self) -> String {
        self.say(&|p: &Phrase, parts: &[String]| fill(p.english, parts))
    }

    /// The phrase as `lookup` says it: `lookup(phrase, parts)` is called for this phrase and for
    /// each phrase among its parts, innermost first, with the parts already said.
    pub fn say(&self, lookup: &dyn Fn(&Phrase, &[String]) -> String) -> String {
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|p| match p {
                Part::Text(s) => s.clone(),
                Part::Phrase(inner) => inner.say(lookup),
            })
            .collect();
        lookup(self, &parts)
    }
}

/// `template` with `$1`…`$9` replaced by `parts` (a `$` not followed by the number of a part
/// stays as it is), as `i18n.getMessage` substitutes.
pub fn fill<S: AsRef<str>>(template: &str, parts: &[S]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let part = after
            .chars()
            .next()
            .and_then(|c| c.to_digit(10))
            .filter(|d| *d >= 1)
            .and_then(|d| parts.get(d as usize - 1));
        match part {
            Some(p) => {
                out.push_str(p.as_ref());
                rest = &after[1..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// What the core's tests of phrases share: every phrase's English is the `en` locale's, and the
/// Russian has the same `$n` parts.
#[cfg(test)]
pub(crate) fn assert_in_locales(phrase: &Phrase) {
    let (en, ru) = crate::test_support::locales();
    let key = phrase.key;
    assert_eq!(
        en[key]["message"].as_str(),
        Some(phrase.english),
        "{key}: en/messages.json must hold the core's English"
    );
    let ru = ru[key]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{key} has no Russian"));
    let numbers = crate::test_support::placeholders;
    assert_eq!(
        numbers(phrase.english),
        numbers(ru),
        "{key}: the parts differ"
    );
    assert_eq!(
        numbers(phrase.english).len(),
        phrase.parts.len(),
        "{key}: the template and its parts differ"
    );
    for part in &phrase.parts {
        if let Part::Phrase(inner) = part {
            assert_in_locales(inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_substitutes_numbered_parts_only() {
        let parts = ["a".to_owned(), "b".to_owned()];
        assert_eq!(fill("$1 and $2", &parts), "a and b");
        assert_eq!(fill("$2$1", &parts), "ba");
        assert_eq!(fill("costs $5 or $", &parts), "costs $5 or $");
        assert_eq!(fill("$0$1", &parts), "$0a");
        assert_eq!(fill::<&str>("no parts", &[]), "no parts");
    }

    #[test]
    fn a_part_is_said_in_the_same_language_and_values_as_they_are() {
        let inner = Phrase::new("got_array", "an array", vec![]);
        let p = Phrase::new(
            "arg_not_string",
            "$1 must be a string, got $2",
            vec!["title".into(), inner.into()],
        );
        assert_eq!(p.english(), "title must be a string, got an array");
        let shout = p.say(&|p, parts| fill(p.english, parts).to_uppercase());
        assert_eq!(shout, "TITLE MUST BE A STRING, GOT AN ARRAY");
    }
}
