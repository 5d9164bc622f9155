//! Properties of the challenge builder and the token extraction, over generated input. The
//! invariants live in `scopegate_tower::fuzz`, shared with the fuzz targets.

use proptest::prelude::*;
use scopegate_tower::Challenge;

proptest! {
    #[test]
    fn every_challenge_parses(realm in ".*", error in ".*", description in ".*", scope in ".*") {
        let input = format!("{realm}\n{error}\n{description}\n{scope}");
        scopegate_tower::fuzz::challenge(input.as_bytes());
        let value = Challenge::new().realm(&realm).error(&error).description(&description).scope(&scope);
        prop_assert!(value.to_header_value().to_str().is_ok());
    }

    #[test]
    fn extraction_never_panics_and_keeps_its_promises(authorization in prop::collection::vec(any::<u8>(), 0..300), cookie in "[ -~]{0,80}") {
        let mut input = authorization;
        input.push(b'\n');
        input.extend_from_slice(cookie.as_bytes());
        let _ = scopegate_tower::fuzz::authorization(&input);
    }

    #[test]
    fn bearer_tokens_are_found(token in "[A-Za-z0-9._~+/-]{1,60}=*", spaces in 1usize..5, scheme in "(?i)bearer") {
        let header = format!("{scheme}{}{token}", " ".repeat(spaces));
        prop_assert_eq!(scopegate_tower::fuzz::authorization(header.as_bytes()), Some(token));
    }
}
