//! Expansion: `<crate path>; "a", "b"` to `<crate path>::__private::LitN<LEN, C0, ...>` (or a
//! tuple of them), after checking each literal.

use proc_macro2::{Literal, Span, TokenStream, TokenTree};
use quote::quote;

use crate::literal::{Error, MAX_BYTES, chunks, string_value};

/// The most scopes one `scope!` takes.
const MAX_SCOPES: usize = 8;

/// Splits `<crate path>; <literals>` and returns the path and the literals.
fn split(input: TokenStream) -> Result<(TokenStream, Vec<Literal>), Error> {
    let mut tokens = input.into_iter();
    let mut path = TokenStream::new();
    for token in tokens.by_ref() {
        match &token {
            TokenTree::Punct(punct) if punct.as_char() == ';' => break,
            _ => path.extend([token]),
        }
    }
    let mut literals = Vec::new();
    let mut expect_literal = true;
    for token in tokens {
        match (&token, expect_literal) {
            (TokenTree::Literal(literal), true) => literals.push(literal.clone()),
            (TokenTree::Punct(punct), false) if punct.as_char() == ',' => {}
            // A literal passed through a macro_rules fragment arrives wrapped in a group.
            (TokenTree::Group(group), true)
                if group.delimiter() == proc_macro2::Delimiter::None =>
            {
                let mut inner = group.stream().into_iter();
                match (inner.next(), inner.next()) {
                    (Some(TokenTree::Literal(literal)), None) => literals.push(literal),
                    _ => {
                        return Err(Error::new(
                            group.span(),
                            "expected a string literal, such as \"orders.read\"",
                        ));
                    }
                }
            }
            (other, true) => {
                return Err(Error::new(
                    other.span(),
                    "expected a string literal, such as \"orders.read\"",
                ));
            }
            (other, false) => {
                return Err(Error::new(other.span(), "expected `,` between literals"));
            }
        }
        expect_literal = !expect_literal;
    }
    Ok((path, literals))
}

/// The type for one literal.
fn literal_type(path: &TokenStream, value: &str) -> TokenStream {
    let packed = chunks(value.as_bytes());
    let name = quote::format_ident!("Lit{}", packed.len().max(1));
    let len = value.len();
    let packed = if packed.is_empty() { vec![0] } else { packed };
    let packed = packed.into_iter().map(Literal::u128_unsuffixed);
    quote!(#path::__private::#name<#len, #(#packed),*>)
}

fn check_length(value: &str, span: Span, what: &str) -> Result<(), Error> {
    if value.len() > MAX_BYTES {
        return Err(Error::new(
            span,
            format!("{what} longer than {MAX_BYTES} bytes are not supported"),
        ));
    }
    Ok(())
}

/// Whether `byte` may appear in a scope: the RFC 6749 section 3.3 ABNF, as in
/// `scopegate_core::is_scope_char` (a proc-macro crate cannot depend on the crate it serves).
fn is_scope_char(byte: u8) -> bool {
    matches!(byte, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

/// What a list macro takes: its name and the words of its messages.
pub(crate) struct ListKind {
    macro_name: &'static str,
    noun: &'static str,
    plural: &'static str,
    example: &'static str,
}

/// `scope!`: RFC 6749 scope tokens.
pub(crate) const SCOPES: ListKind = ListKind {
    macro_name: "scope!",
    noun: "scope",
    plural: "scopes",
    example: "scope!(\"orders.read\")",
};

/// `acr!`: authentication context class values (RFC 9470), sent space-separated in
/// `acr_values`, so the same characters as scopes.
pub(crate) const ACR_VALUES: ListKind = ListKind {
    macro_name: "acr!",
    noun: "acr value",
    plural: "acr values",
    example: "acr!(\"mfa\")",
};

fn check_token(value: &str, span: Span, kind: &ListKind) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::new(span, format!("a {} cannot be empty", kind.noun)));
    }
    if let Some(bad) =
        value.chars().find(|c| u8::try_from(*c).map_or(true, |byte| !is_scope_char(byte)))
    {
        let shown = match bad {
            ' ' => "a space".to_owned(),
            '"' => "`\"`".to_owned(),
            '\\' => "`\\`".to_owned(),
            other => format!("U+{:04X}", u32::from(other)),
        };
        return Err(Error::new(
            span,
            format!(
                "invalid {}: {shown} is not allowed (RFC 6749 section 3.3: printable ASCII except space, `\"` and `\\`)",
                kind.noun
            ),
        ));
    }
    check_length(value, span, kind.plural)
}

/// `scope!("a", "b")` or `acr!("a", "b")`.
pub(crate) fn list(input: TokenStream, kind: &ListKind) -> Result<TokenStream, Error> {
    let (path, literals) = split(input)?;
    if literals.is_empty() {
        return Err(Error::new(
            Span::call_site(),
            format!(
                "{} needs at least one {}, such as {}",
                kind.macro_name, kind.noun, kind.example
            ),
        ));
    }
    if literals.len() > MAX_SCOPES {
        let extra = literals.get(MAX_SCOPES).map_or_else(Span::call_site, Literal::span);
        return Err(Error::new(
            extra,
            format!("{} takes at most {MAX_SCOPES} {}", kind.macro_name, kind.plural),
        ));
    }
    let mut seen: Vec<String> = Vec::new();
    let mut types = Vec::new();
    for literal in &literals {
        let value = string_value(literal)?;
        check_token(&value, literal.span(), kind)?;
        if seen.contains(&value) {
            return Err(Error::new(literal.span(), format!("duplicate {} `{value}`", kind.noun)));
        }
        types.push(literal_type(&path, &value));
        seen.push(value);
    }
    Ok(match types.as_slice() {
        [single] => single.clone(),
        _ => quote!((#(#types,)*)),
    })
}

/// `role!("operator")`.
pub(crate) fn role(input: TokenStream) -> Result<TokenStream, Error> {
    let (path, literals) = split(input)?;
    let literal = match literals.as_slice() {
        [literal] => literal,
        [] => {
            return Err(Error::new(
                Span::call_site(),
                "role! needs one role, such as role!(\"operator\")",
            ));
        }
        [_, second, ..] => return Err(Error::new(second.span(), "role! takes exactly one role")),
    };
    let value = string_value(literal)?;
    if value.is_empty() {
        return Err(Error::new(literal.span(), "a role cannot be empty"));
    }
    check_length(&value, literal.span(), "roles")?;
    Ok(literal_type(&path, &value))
}
