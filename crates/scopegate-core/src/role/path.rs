//! [`ClaimPath`]: where in the payload a claim is, one object key per segment.

use std::fmt;

use serde_json::{Map, Value};

use crate::error::Error;

/// The path to a claim inside the token payload, one object key per segment.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ClaimPath {
    segments: Box<[Box<str>]>,
    display: Box<str>,
}

impl ClaimPath {
    /// Parses a dotted path: `realm_access.roles` is the `roles` member of the `realm_access`
    /// object. For claim names that contain dots (URLs), use [`ClaimPath::from_segments`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) for an
    /// empty path or an empty segment.
    pub fn parse(dotted: &str) -> Result<Self, Error> {
        Self::from_segments(dotted.split('.'))
    }

    /// Builds a path from its segments, taken literally.
    ///
    /// ```
    /// use scopegate_core::ClaimPath;
    ///
    /// let auth0 = ClaimPath::from_segments(["https://example.com/roles"]).unwrap();
    /// assert_eq!(auth0.segments().len(), 1);
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) for no
    /// segments or an empty segment.
    pub fn from_segments<I, S>(segments: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let segments: Box<[Box<str>]> =
            segments.into_iter().map(|s| Box::from(s.as_ref())).collect();
        if segments.is_empty() || segments.iter().any(|segment| segment.is_empty()) {
            return Err(Error::config("a claim path needs one or more non-empty segments"));
        }
        let display = segments.join(".").into_boxed_str();
        Ok(Self { segments, display })
    }

    /// A one-segment path to a top-level claim.
    pub(crate) fn top_level(name: &str) -> Self {
        Self { segments: Box::new([Box::from(name)]), display: Box::from(name) }
    }

    /// The object keys, outermost first.
    pub fn segments(&self) -> &[Box<str>] {
        &self.segments
    }

    /// Looks the path up in a payload. `Ok(None)` when any segment is absent.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidClaim`](crate::ErrorKind::InvalidClaim) when a segment other than
    /// the last names something that is not an object.
    pub fn lookup<'a>(&self, claims: &'a Map<String, Value>) -> Result<Option<&'a Value>, Error> {
        let Some((last, parents)) = self.segments.split_last() else {
            return Ok(None);
        };
        let mut object = claims;
        for segment in parents {
            match object.get(&**segment) {
                None => return Ok(None),
                Some(Value::Object(inner)) => object = inner,
                Some(_) => return Err(Error::invalid_claim(&self.display, "inside JSON objects")),
            }
        }
        Ok(object.get(&**last))
    }
}

impl fmt::Debug for ClaimPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.segments, f)
    }
}

impl fmt::Display for ClaimPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}
