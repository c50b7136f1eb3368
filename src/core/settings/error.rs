//! Settings errors: every problem in a document, each with the key it is about.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One problem with one setting.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FieldError {
    /// Where the problem is: `spa.settleMs`, `sites[2]`, or empty for the document as a whole
    /// (not JSON, too large, not an object, an unknown top-level key).
    pub path: String,
    /// What is wrong, in words that follow the path: `must be an integer from 0 to 10000, got
    /// 20000`. English: for export files, logs and the JSON editor's problem list.
    pub message: String,
    /// The `_locales` message a surface shows instead, when there is one (`err_rule_no_path`);
    /// its `$1`… are [`FieldError::args`]. Problems without a key show `message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The arguments of `key`'s message (a suggestion, a host, a number), as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
}

impl FieldError {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            path: path.into(),
            message: message.into(),
            key: None,
            args: Vec::new(),
        }
    }

    /// The same problem with a locale message key and its arguments, for the surfaces.
    pub fn keyed(mut self, key: &str, args: Vec<String>) -> FieldError {
        self.key = Some(key.to_owned());
        self.args = args;
        self
    }
}

/// `path: message`, or just the message for the whole document.
impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Everything wrong with a settings document: at least one [`FieldError`], in document order,
/// so the options page can show each next to its field.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SettingsError {
    errors: Vec<FieldError>,
}

impl SettingsError {
    /// An error made of these problems; `None` if there are none.
    pub fn from_errors(errors: Vec<FieldError>) -> Option<SettingsError> {
        if errors.is_empty() {
            None
        } else {
            Some(SettingsError { errors })
        }
    }

    /// A single problem.
    pub fn single(path: impl Into<String>, message: impl Into<String>) -> SettingsError {
        SettingsError {
            errors: vec![FieldError::new(path, message)],
        }
    }

    /// Every problem, in document order (never empty).
    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// The problems about exactly `path` (`spa.settleMs`; `""` for the whole document).
    pub fn for_path<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a FieldError> + 'a {
        self.errors.iter().filter(move |e| e.path == path)
    }

    /// Every problem, for the caller to keep.
    pub fn into_errors(self) -> Vec<FieldError> {
        self.errors
    }
}

impl From<FieldError> for SettingsError {
    fn from(error: FieldError) -> Self {
        SettingsError {
            errors: vec![error],
        }
    }
}

/// Each problem as `path: message`, separated by `; `.
impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SettingsError {}

/// Why a value is refused, before it is placed at a path: the English words (following the
/// key name, `must be …`) and the `_locales` message with its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    /// The English words, as in [`FieldError::message`].
    pub message: String,
    /// The `_locales` message key.
    pub key: &'static str,
    /// Its `$1`… arguments.
    pub args: Vec<String>,
}

impl Reason {
    /// A reason with its locale message.
    pub fn new(message: impl Into<String>, key: &'static str, args: Vec<String>) -> Reason {
        Reason {
            message: message.into(),
            key,
            args,
        }
    }

    /// The problem at `path`.
    pub fn at(self, path: impl Into<String>) -> FieldError {
        FieldError::new(path, self.message).keyed(self.key, self.args)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
