//! JSON paths for error messages (`events[3].data.event_name`), built on the stack while
//! parsing and only turned into text when something is wrong.

use crate::parse::BatchError;
use std::fmt;

/// One step of a path: an object key or an array index.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// A path from the root of the body, as a chain of borrowed parents so that descending
/// costs nothing unless an error is reported.
#[derive(Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Option<Seg<'a>>,
}

impl Path<'static> {
    /// The root of the body, shown as `$`.
    pub(crate) const ROOT: Path<'static> = Path {
        parent: None,
        seg: None,
    };
}

impl<'a> Path<'a> {
    /// The path of `key` inside this object.
    pub(crate) fn key<'b>(&'b self, key: &'b str) -> Path<'b> {
        Path {
            parent: Some(self),
            seg: Some(Seg::Key(key)),
        }
    }

    /// The path of element `index` inside this array.
    pub(crate) fn index(&self, index: usize) -> Path<'_> {
        Path {
            parent: Some(self),
            seg: Some(Seg::Index(index)),
        }
    }

    /// An error at this path.
    pub(crate) fn err(&self, reason: impl Into<String>) -> BatchError {
        BatchError {
            path: self.to_string(),
            reason: reason.into(),
        }
    }
}

/// Keys made only of these characters are written bare (`user_attributes.$FirstName`);
/// anything else is quoted (`custom_attributes["page url"]`) so the path stays unambiguous.
fn is_bare_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'-')
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut segs = Vec::new();
        let mut cur = Some(self);
        while let Some(p) = cur {
            if let Some(s) = p.seg {
                segs.push(s);
            }
            cur = p.parent;
        }
        if segs.is_empty() {
            return f.write_str("$");
        }
        for (i, seg) in segs.iter().rev().enumerate() {
            match seg {
                Seg::Key(k) if is_bare_key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Seg::Key(k) => {
                    let quoted = serde_json::to_string(k).map_err(|_| fmt::Error)?;
                    write!(f, "[{quoted}]")?;
                }
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_shown_as_dollar() {
        assert_eq!(Path::ROOT.to_string(), "$");
    }

    #[test]
    fn keys_and_indexes_are_joined_like_javascript() {
        let root = Path::ROOT;
        let events = root.key("events");
        let third = events.index(3);
        let data = third.key("data");
        let name = data.key("event_name");
        assert_eq!(name.to_string(), "events[3].data.event_name");
        assert_eq!(root.index(2).key("mpid").to_string(), "[2].mpid");
    }

    #[test]
    fn unusual_keys_are_quoted() {
        let root = Path::ROOT;
        let attrs = root.key("user_attributes");
        assert_eq!(
            attrs.key("$FirstName").to_string(),
            "user_attributes.$FirstName"
        );
        assert_eq!(
            attrs.key("page url").to_string(),
            "user_attributes[\"page url\"]"
        );
        assert_eq!(attrs.key("").to_string(), "user_attributes[\"\"]");
    }
}
