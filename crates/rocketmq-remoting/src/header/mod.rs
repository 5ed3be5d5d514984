//! Header serialization (JSON and binary) and the typed custom headers.
//!
//! Java turns a header object into `extFields` by field name with `String.valueOf` formatting
//! (`RemotingCommand.makeCustomHeaderToNet`): decimal numbers, `true`/`false`, strings verbatim,
//! null fields omitted. The crate-private `command_header!` macro (below) generates exactly that for a struct.

mod admin;
pub mod binary;
pub mod json;
mod typed;

pub use admin::*;
pub use typed::*;

use crate::error::{Error, ErrorKind, Result};
use crate::ext_fields::ExtFields;

/// A typed header that can be written into `extFields`.
pub trait CommandHeader {
    /// Put every non-null field into `ext`.
    fn write_to(&self, ext: &mut ExtFields);

    /// How many entries the header writes at most (sizes the map up front).
    fn field_count(&self) -> usize {
        0
    }

    /// [`CommandHeader::write_to`], moving the string fields instead of copying them.
    fn into_ext_fields(self, ext: &mut ExtFields)
    where
        Self: Sized,
    {
        self.write_to(ext);
    }
}

/// A typed header that can be read from `extFields`.
pub trait FromExtFields: Sized {
    /// Read the header; a missing required field or an unparsable number is an error.
    fn from_ext_fields(ext: &ExtFields) -> Result<Self>;
}

/// No custom header at all (heartbeat, cluster info...).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmptyHeader;

impl CommandHeader for EmptyHeader {
    fn write_to(&self, _ext: &mut ExtFields) {}
}

impl FromExtFields for EmptyHeader {
    fn from_ext_fields(_ext: &ExtFields) -> Result<Self> {
        Ok(EmptyHeader)
    }
}

/// One header field type: how it is formatted into and parsed from its string form.
pub trait HeaderValue: Sized {
    /// Write under `key` (nothing for `None`).
    fn write(&self, key: &'static str, ext: &mut ExtFields);
    /// [`HeaderValue::write`], consuming the value (strings are moved, not copied).
    fn write_owned(self, key: &'static str, ext: &mut ExtFields) {
        self.write(key, ext);
    }
    /// Read from `key`; required types fail when the key is missing.
    fn read(ext: &ExtFields, key: &str) -> Result<Self>;
}

fn missing(key: &str) -> Error {
    Error::new(ErrorKind::Header, format!("header field '{key}' is missing"))
}

fn present<'a>(ext: &'a ExtFields, key: &str) -> Option<&'a str> {
    ext.get(key).map(str::trim).filter(|v| !v.is_empty())
}

macro_rules! numeric_header_value {
    ($($ty:ty),*) => {$(
        impl HeaderValue for $ty {
            fn write(&self, key: &'static str, ext: &mut ExtFields) {
                ext.insert(key, itoa::Buffer::new().format(*self).to_owned());
            }
            fn read(ext: &ExtFields, key: &str) -> Result<Self> {
                let raw = present(ext, key).ok_or_else(|| missing(key))?;
                raw.parse().map_err(|_| {
                    Error::new(ErrorKind::Header, format!("header field '{key}' is not a number: {raw:?}"))
                })
            }
        }
    )*};
}
numeric_header_value!(i32, i64);

impl HeaderValue for bool {
    fn write(&self, key: &'static str, ext: &mut ExtFields) {
        ext.insert(key, if *self { "true" } else { "false" });
    }
    /// Java `Boolean.parseBoolean`: "true" in any case is true, anything else false.
    fn read(ext: &ExtFields, key: &str) -> Result<Self> {
        let raw = present(ext, key).ok_or_else(|| missing(key))?;
        Ok(raw.eq_ignore_ascii_case("true"))
    }
}

impl HeaderValue for String {
    fn write(&self, key: &'static str, ext: &mut ExtFields) {
        ext.insert(key, self.clone());
    }
    fn write_owned(self, key: &'static str, ext: &mut ExtFields) {
        ext.insert(key, self);
    }
    fn read(ext: &ExtFields, key: &str) -> Result<Self> {
        ext.get(key).map(str::to_owned).ok_or_else(|| missing(key))
    }
}

impl<T: HeaderValue> HeaderValue for Option<T> {
    fn write(&self, key: &'static str, ext: &mut ExtFields) {
        if let Some(value) = self {
            value.write(key, ext);
        }
    }
    fn write_owned(self, key: &'static str, ext: &mut ExtFields) {
        if let Some(value) = self {
            value.write_owned(key, ext);
        }
    }
    fn read(ext: &ExtFields, key: &str) -> Result<Self> {
        if present(ext, key).is_none() {
            return Ok(None);
        }
        T::read(ext, key).map(Some)
    }
}

/// Define a typed header: a struct whose fields map to `extFields` keys.
///
/// ```ignore
/// command_header! {
///     /// Doc.
///     pub struct GetRouteInfoRequestHeader {
///         pub topic: String => "topic",
///         pub accept_standard_json_only: Option<bool> => "acceptStandardJsonOnly",
///     }
/// }
/// ```
#[macro_export]
macro_rules! command_header {
    ($(#[$meta:meta])* pub struct $name:ident {
        $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty => $key:literal ),* $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $crate::header::CommandHeader for $name {
            fn write_to(&self, ext: &mut $crate::ExtFields) {
                $( $crate::header::HeaderValue::write(&self.$field, $key, ext); )*
            }

            fn field_count(&self) -> usize {
                [$($key),*].len()
            }

            fn into_ext_fields(self, ext: &mut $crate::ExtFields) {
                $( $crate::header::HeaderValue::write_owned(self.$field, $key, ext); )*
            }
        }

        impl $crate::header::FromExtFields for $name {
            fn from_ext_fields(ext: &$crate::ExtFields) -> $crate::Result<Self> {
                Ok($name {
                    $( $field: $crate::header::HeaderValue::read(ext, $key)?, )*
                })
            }
        }
    };
}
