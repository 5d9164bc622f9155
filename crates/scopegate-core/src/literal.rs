//! Scopes and roles as types: what [`scope!`](macro@crate::scope) and [`role!`](macro@crate::role) expand
//! to, so that a route can name what it requires in its signature on stable Rust.
//!
//! Stable Rust has no `&str` const generics, so the macros encode the string's bytes as `u128`
//! const parameters of a hidden type, check it at compile time (RFC 6749 scope syntax, no
//! duplicates), and [`ConstStr::VALUE`] / [`ScopeList::SCOPES`] decode it back during
//! compilation. At run time they are plain `&'static` constants.
//!
//! ```
//! use scopegate_core::{ConstStr, ScopeList, role, scope};
//!
//! type OrdersWrite = scope!("orders.write");
//! type ReadOrWrite = scope!("orders.read", "orders.write");
//! type Operator = role!("operator");
//!
//! // Evaluated by the compiler: this is a `const`.
//! const BOTH: &[&str] = <ReadOrWrite as ScopeList>::SCOPES;
//! assert_eq!(BOTH, ["orders.read", "orders.write"]);
//! assert_eq!(<OrdersWrite as ScopeList>::SCOPES, ["orders.write"]);
//! assert_eq!(<Operator as ConstStr>::VALUE, "operator");
//! ```
//!
//! You can also implement [`ScopeList`] by hand for a type of your own; scopes that break the
//! RFC 6749 syntax then never match.

/// A string known at compile time: a role from [`role!`](macro@crate::role), or a single scope.
pub trait ConstStr: Send + Sync + 'static {
    /// The string.
    const VALUE: &'static str;
}

/// One or more scopes known at compile time, from [`scope!`](macro@crate::scope).
pub trait ScopeList: Send + Sync + 'static {
    /// The scopes, in the order written.
    const SCOPES: &'static [&'static str];
}

/// The type of one or more scopes, checked at compile time: `scope!("orders.read")`,
/// `scope!("read:posts", "write:posts")`.
///
/// Each scope must be a non-empty string literal of printable ASCII other than space, `"` and
/// `\` (RFC 6749 section 3.3), at most 128 bytes; at most 8 scopes, without duplicates. Anything
/// else is a compile error pointing at the literal.
#[macro_export]
macro_rules! scope {
    ($($tokens:tt)*) => {
        $crate::__private::scope_type!($crate; $($tokens)*)
    };
}

/// The type of one role, checked at compile time: `role!("operator")`. Any non-empty string
/// literal of at most 128 bytes.
#[macro_export]
macro_rules! role {
    ($($tokens:tt)*) => {
        $crate::__private::role_type!($crate; $($tokens)*)
    };
}

/// The type of one or more accepted `acr` values (RFC 9470), checked at compile time like
/// scopes: `acr!("mfa")`, `acr!("urn:example:loa:2", "phr")`. For `RequireAcr` in
/// `scopegate-axum`.
///
/// ```
/// type Strong = scopegate_core::acr!("mfa", "phr");
/// assert_eq!(<Strong as scopegate_core::ScopeList>::SCOPES, ["mfa", "phr"]);
/// ```
#[macro_export]
macro_rules! acr {
    ($($tokens:tt)*) => {
        $crate::__private::acr_type!($crate; $($tokens)*)
    };
}

/// What the macros expand to. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use scopegate_macros::{
        __acr_type as acr_type, __role_type as role_type, __scope_type as scope_type,
    };

    use super::{ConstStr, ScopeList};

    /// The longest string the encoding carries.
    const MAX_BYTES: usize = 128;

    /// Unpacks big-endian `u128` chunks into bytes.
    #[allow(
        clippy::indexing_slicing,
        clippy::cast_possible_truncation,
        reason = "const evaluation; bounds hold"
    )]
    pub const fn decode(chunks: &[u128], len: usize) -> [u8; MAX_BYTES] {
        let mut out = [0u8; MAX_BYTES];
        let mut index = 0;
        while index < len && index < MAX_BYTES && index / 16 < chunks.len() {
            out[index] = (chunks[index / 16] >> (120 - 8 * (index % 16))) as u8;
            index += 1;
        }
        out
    }

    /// The first `len` bytes as a string; a compile error if they are not UTF-8.
    #[allow(clippy::panic, reason = "const evaluation: a panic is a compile error")]
    pub const fn as_str(bytes: &'static [u8; MAX_BYTES], len: usize) -> &'static str {
        let (head, _) = bytes.split_at(if len < MAX_BYTES { len } else { MAX_BYTES });
        match core::str::from_utf8(head) {
            Ok(value) => value,
            Err(_) => panic!("scopegate: a type-level literal is not UTF-8"),
        }
    }

    macro_rules! literal_types {
        ($($name:ident: $($chunk:ident)+;)+) => {$(
            /// A string literal of up to 16 bytes per chunk.
            #[derive(Debug, Clone, Copy, Default)]
            pub struct $name<const LEN: usize, $(const $chunk: u128),+>;

            impl<const LEN: usize, $(const $chunk: u128),+> $name<LEN, $($chunk),+> {
                const BYTES: [u8; MAX_BYTES] = decode(&[$($chunk),+], LEN);
            }

            impl<const LEN: usize, $(const $chunk: u128),+> ConstStr for $name<LEN, $($chunk),+> {
                const VALUE: &'static str = as_str(&Self::BYTES, LEN);
            }

            impl<const LEN: usize, $(const $chunk: u128),+> ScopeList for $name<LEN, $($chunk),+> {
                const SCOPES: &'static [&'static str] = &[<Self as ConstStr>::VALUE];
            }
        )+};
    }

    literal_types! {
        Lit1: C0;
        Lit2: C0 C1;
        Lit3: C0 C1 C2;
        Lit4: C0 C1 C2 C3;
        Lit5: C0 C1 C2 C3 C4;
        Lit6: C0 C1 C2 C3 C4 C5;
        Lit7: C0 C1 C2 C3 C4 C5 C6;
        Lit8: C0 C1 C2 C3 C4 C5 C6 C7;
    }

    macro_rules! scope_tuples {
        ($(($($name:ident),+))+) => {$(
            impl<$($name: ConstStr),+> ScopeList for ($($name,)+) {
                const SCOPES: &'static [&'static str] = &[$($name::VALUE),+];
            }
        )+};
    }

    scope_tuples! {
        (A, B)
        (A, B, C)
        (A, B, C, D)
        (A, B, C, D, E)
        (A, B, C, D, E, F)
        (A, B, C, D, E, F, G)
        (A, B, C, D, E, F, G, H)
    }
}

#[cfg(test)]
mod tests {
    use super::{ConstStr, ScopeList};
    use crate::is_valid_scope;

    #[test]
    fn round_trips_at_every_length() {
        type Long = crate::scope!(
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        );
        assert_eq!(<Long as ScopeList>::SCOPES[0].len(), 128);
        type Sixteen = crate::scope!("0123456789abcdef");
        assert_eq!(<Sixteen as ScopeList>::SCOPES, ["0123456789abcdef"]);
        type Seventeen = crate::scope!("0123456789abcdef!");
        assert_eq!(<Seventeen as ScopeList>::SCOPES, ["0123456789abcdef!"]);
        type Url =
            crate::scope!("https://graph.microsoft.com/User.Read", "api://9f2c/access_as_user");
        assert_eq!(
            <Url as ScopeList>::SCOPES,
            ["https://graph.microsoft.com/User.Read", "api://9f2c/access_as_user"]
        );
    }

    #[test]
    fn raw_strings_and_every_scope_character() {
        type Raw = crate::scope!(r"read:posts", r#"a#b"#);
        assert_eq!(<Raw as ScopeList>::SCOPES, ["read:posts", "a#b"]);
        type Symbols = crate::scope!("!#$%&'()*+,-./:;<=>?@[]^_`{|}~");
        assert!(is_valid_scope(<Symbols as ScopeList>::SCOPES[0]));
    }

    #[test]
    fn roles_may_hold_any_characters() {
        type Spaced = crate::role!("Org Admin ü");
        assert_eq!(<Spaced as ConstStr>::VALUE, "Org Admin ü");
    }

    #[test]
    fn distinct_strings_are_distinct_types() {
        use std::any::TypeId;
        type A = crate::scope!("orders.read");
        type B = crate::scope!("orders.reae");
        assert_ne!(TypeId::of::<A>(), TypeId::of::<B>());
        assert_eq!(TypeId::of::<A>(), TypeId::of::<crate::scope!("orders.read")>());
    }

    #[test]
    fn one_scope_expands_to_its_length_and_big_endian_bytes() {
        use std::any::TypeId;
        // b"orders.read" left-aligned in a u128, most significant byte first.
        type Expanded = crate::__private::Lit1<11, 0x6f72_6465_7273_2e72_6561_6400_0000_0000>;
        // The macro writes the chunk in decimal: 148138265652423948277696838563736322048.
        assert_eq!(TypeId::of::<crate::scope!("orders.read")>(), TypeId::of::<Expanded>());
    }
}
