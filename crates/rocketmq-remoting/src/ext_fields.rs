//! `extFields`: the string map that carries every custom header field on the wire.
//!
//! Kept as an insertion-ordered list rather than a hash map: headers hold a dozen entries at
//! most, so a linear scan beats hashing, and encoding stays deterministic (golden tests).
//! Names and values are `Cow<'static, str>`: the typed headers' names and the constants
//! ("true", "false") are not allocated for every request, and owned values are moved in.

use std::borrow::Cow;

/// A name or value of [`ExtFields`]: a `&'static str` or an owned `String`.
pub type Field = Cow<'static, str>;

/// The custom-header map of a [`crate::RemotingCommand`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtFields {
    entries: Vec<(Field, Field)>,
}

impl ExtFields {
    /// An empty map.
    pub fn new() -> Self {
        ExtFields { entries: Vec::new() }
    }

    /// An empty map with room for `capacity` entries.
    pub fn with_capacity(capacity: usize) -> Self {
        ExtFields { entries: Vec::with_capacity(capacity) }
    }

    /// Set `key` to `value`, replacing an earlier value (on decode the last duplicate wins,
    /// as in Java's `HashMap.put`).
    pub fn insert(&mut self, key: impl Into<Field>, value: impl Into<Field>) {
        let key = key.into();
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_ref())
    }

    /// Remove `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let pos = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(pos).1.into_owned())
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
    }
}

impl<K: Into<Field>, V: Into<Field>> FromIterator<(K, V)> for ExtFields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = ExtFields::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}
