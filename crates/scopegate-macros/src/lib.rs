//! The proc macros behind `scopegate::scope!`, `scopegate::role!` and `scopegate::acr!`. Use those, not these:
//! they pass the path of the crate that holds the generated types.
//!
//! ```
//! type OrdersRead = scopegate_core::scope!("orders.read");
//! assert_eq!(<OrdersRead as scopegate_core::ScopeList>::SCOPES, ["orders.read"]);
//! ```

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod expand;
mod literal;

use proc_macro::TokenStream;

/// `__scope_type!(<crate path>; "a", "b")`: the type for one or more scopes.
#[doc(hidden)]
#[proc_macro]
pub fn __scope_type(input: TokenStream) -> TokenStream {
    expand::list(input.into(), &expand::SCOPES)
        .unwrap_or_else(|error| error.to_compile_error())
        .into()
}

/// `__acr_type!(<crate path>; "mfa", "phr")`: the type for one or more `acr` values.
#[doc(hidden)]
#[proc_macro]
pub fn __acr_type(input: TokenStream) -> TokenStream {
    expand::list(input.into(), &expand::ACR_VALUES)
        .unwrap_or_else(|error| error.to_compile_error())
        .into()
}

/// `__role_type!(<crate path>; "operator")`: the type for one role.
#[doc(hidden)]
#[proc_macro]
pub fn __role_type(input: TokenStream) -> TokenStream {
    expand::role(input.into()).unwrap_or_else(|error| error.to_compile_error()).into()
}
