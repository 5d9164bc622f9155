//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz layout, outside the workspace).
//! Each feeds attacker-shaped bytes to one parser and asserts what must always hold. Compiled
//! only for the fuzz targets (`cfg(fuzzing)`) and this crate's tests, which run every checked-in
//! seed through them. Not public API.

use crate::claims::{ClaimMapping, UnverifiedPayload, VerifiedPayload};
use crate::jose::{self, CompactToken, Header, TypeRule};
use crate::role::ClaimPath;
use crate::scope::{Scope, ScopePolicy, ScopeSet, is_valid_scope};

/// The compact-token splitter and the header parser, on a whole token.
pub fn token(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(parts) = CompactToken::split(text) else { return };
    assert_eq!(format!("{}.{}", parts.header, parts.payload), parts.signing_input);
    assert!(
        !parts.header.contains('.')
            && !parts.payload.contains('.')
            && !parts.signature.contains('.')
    );
    if let Ok(bytes) = jose::decode_segment(parts.header, "header") {
        header(&bytes);
    }
    if let Ok(bytes) = jose::decode_segment(parts.payload, "payload") {
        claims(&bytes);
    }
}

/// The header parser, under both `typ` rules.
pub fn header(data: &[u8]) {
    let lenient = Header::parse(data, TypeRule::Lenient);
    let strict = Header::parse(data, TypeRule::Rfc9068);
    // Strict mode accepts a subset of what lenient mode accepts.
    if strict.is_ok() {
        assert!(lenient.is_ok());
    }
}

/// The claims parser, with the default mapping and a permissive one; and its flat-payload
/// fast path, which must read what it reads exactly as the full parser does.
pub fn claims(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        assert!(crate::claims::flat_payload::agrees_with_full_parser(text));
    }
    claims_land_where_they_came_from(data);
    let permissive =
        ClaimMapping::new().scope_claims(["scope", "scp"]).accept_scope_arrays(true).role_paths(
            ["roles", "role", "realm_access.roles", "cognito:groups"]
                .into_iter()
                .filter_map(|p| ClaimPath::parse(p).ok()),
        );
    for mapping in [ClaimMapping::new(), permissive] {
        let Ok(payload) = UnverifiedPayload::parse(data) else { return };
        let issuer = std::sync::Arc::from(&*payload.issuer);
        if let Ok(verified) = VerifiedPayload::new(payload, issuer, &mapping) {
            // Every scope that was accepted is valid RFC 6749 syntax.
            assert!(verified.scopes.iter().all(is_valid_scope));
        }
    }
}

/// Both payload parsers file members through one table, so comparing them cannot show a claim
/// filed under the wrong name. This reads the payload independently, with `serde_json`, and
/// checks that every member scopegate accepted holds what the text says under that name.
#[allow(
    clippy::indexing_slicing,
    clippy::panic,
    reason = "an oracle: a divergence must panic (JSON indexing yields null, never panics)"
)]
pub(crate) fn claims_land_where_they_came_from(data: &[u8]) {
    let Ok(payload) = UnverifiedPayload::parse(data) else { return };
    let text: serde_json::Value = match serde_json::from_slice(data) {
        Ok(serde_json::Value::Object(members)) => serde_json::Value::Object(members),
        // scopegate accepted what serde_json refuses (or not an object): a divergence.
        other => panic!("accepted a payload serde_json reads as {other:?}"),
    };
    let same = |name: &str, value: Option<crate::json::Loose<'_>>| {
        let read = value.map(crate::json::Loose::into_value);
        let expected = text.get(name).cloned();
        assert_eq!(read, expected, "`{name}`");
    };
    if let Some(issuer) = text["iss"].as_str() {
        assert_eq!(&*payload.issuer, issuer, "`iss`");
    }
    same("aud", payload.audience);
    same("exp", payload.expires_at);
    same("nbf", payload.not_before);
    same("iat", payload.issued_at);
    same("sub", payload.subject);
    same("jti", payload.jwt_id);
    same("client_id", payload.client_id);
    same("azp", payload.authorized_party);
    same("scope", payload.scope);
    assert_eq!(payload.confirmation, text.get("cnf").is_some(), "`cnf`");
    for (name, value) in &payload.custom {
        assert_eq!(Some(value), text.get(name), "custom `{name}`");
    }
}

/// The scope parser and the policies, with their invariants.
pub fn scopes(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (granted, required) = text.split_once('\n').unwrap_or((text, ""));
    let Ok(set) = ScopeSet::parse(granted) else {
        assert!(granted.split(' ').any(|token| !token.is_empty() && !is_valid_scope(token)));
        return;
    };
    let members: Vec<&str> = set.iter().collect();
    assert!(members.windows(2).all(|pair| matches!(pair, [a, b] if a < b)), "sorted and unique");
    let exact = ScopePolicy::exact();
    let tree = ScopePolicy::hierarchical(':');
    for member in &members {
        assert!(set.contains(member) && exact.grants(&set, member) && tree.grants(&set, member));
    }
    for candidate in required.split(' ') {
        // Exact matching is membership; hierarchy only adds descendants of granted scopes.
        assert_eq!(exact.grants(&set, candidate), members.contains(&candidate));
        if tree.grants(&set, candidate) && !members.contains(&candidate) {
            assert!(members.iter().any(|m| candidate.starts_with(&format!("{m}:"))));
        }
        if let Ok(prefix) = Scope::new(candidate) {
            let prefixed = ScopePolicy::exact().with_prefix_scope(prefix);
            let has_value = set.suffixes(candidate).next().is_some();
            assert_eq!(prefixed.grants(&set, candidate), has_value);
            assert!(set.suffixes(candidate).all(|suffix| !suffix.is_empty()));
        }
    }
}

/// The introspection answer reader, then the claims of an active answer.
#[cfg(feature = "remote")]
pub fn introspection(data: &[u8]) {
    use crate::remote::introspection::{Answer, read_answer};
    let Ok(Answer::Active(members)) = read_answer(data) else { return };
    assert!(!members.contains_key("active"));
    let Ok(payload) = UnverifiedPayload::from_object(members, "https://id.example.com") else {
        return;
    };
    let issuer = std::sync::Arc::from(&*payload.issuer);
    if let Ok(verified) = VerifiedPayload::new(payload, issuer, &ClaimMapping::new()) {
        assert!(verified.scopes.iter().all(is_valid_scope));
    }
}

/// The secret the `signed_introspection` target's answers are signed with (HS256).
pub const SIGNED_INTROSPECTION_SECRET: &[u8] = b"scopegate fuzz: signed introspection answers";
/// The `signed_introspection` target's time, issuer and client id.
pub const SIGNED_INTROSPECTION_CONTEXT: (u64, &str, &str) =
    (1_700_000_000, "https://id.example.com", "orders-api");

/// A signed introspection answer (RFC 9701) opened as the verifier opens one: never panics,
/// and an answer it accepts has an HS256 signature that holds (checked here with another
/// HMAC), names the issuer and the client id, and was issued within the minute.
#[cfg(feature = "remote")]
pub fn signed_introspection(data: &[u8]) {
    use std::task::{Context, Poll, Waker};

    let (now, issuer, _) = SIGNED_INTROSPECTION_CONTEXT;
    let Some(check) = signed_introspection_check() else { return };
    // Static keys never wait: one poll finishes it.
    let mut opening = std::pin::pin!(check.open(data, now));
    let polled = opening.as_mut().poll(&mut Context::from_waker(Waker::noop()));
    assert!(polled.is_ready(), "a signed answer checked with static keys waited");
    let Poll::Ready(opened) = polled else { return };
    if opened.is_err() {
        return;
    }
    let text = String::from_utf8_lossy(data);
    let (input, signature) = text.trim().rsplit_once('.').unwrap_or_default();
    let expected = crate::crypto::hmac_sha256(SIGNED_INTROSPECTION_SECRET, input.as_bytes());
    assert_eq!(jose::decode_segment(signature, "signature").ok().as_deref(), Some(&expected[..]));
    let payload = input.split_once('.').map(|(_, payload)| payload).unwrap_or_default();
    let payload = jose::decode_segment(payload, "payload").unwrap_or_default();
    let payload: serde_json::Value = serde_json::from_slice(&payload).unwrap_or_default();
    assert_eq!(payload.get("iss").and_then(serde_json::Value::as_str), Some(issuer));
    let iat = payload.get("iat").and_then(serde_json::Value::as_u64).unwrap_or_default();
    assert!(iat <= now && now <= iat + 60, "iat {iat}");
}

/// What the `signed_introspection` target's answers must be: its issuer and client id, HS256
/// with its secret, no leeway.
#[cfg(feature = "remote")]
fn signed_introspection_check() -> Option<crate::verifier::signed_answer::SignedAnswerCheck> {
    use std::sync::Arc;

    use crate::key::store::KeyStore;
    use crate::verifier::signed_answer::{AnswerKeys, SignedAnswerCheck};

    let (_, issuer, client) = SIGNED_INTROSPECTION_CONTEXT;
    let key = crate::key::VerificationKey::hmac_secret(SIGNED_INTROSPECTION_SECRET).ok()?;
    let algorithms = [crate::algorithm::Algorithm::HS256].into_iter().collect();
    Some(SignedAnswerCheck {
        issuer: Arc::from(issuer),
        audience: client.into(),
        algorithms,
        keys: AnswerKeys::Static(Arc::new(KeyStore::new(&[key], algorithms))),
        leeway: 0,
    })
}

/// The DPoP proof checks (RFC 9449 section 4.3) on a whole proof, against RFC 9449's example
/// request (figure 13), ES256 only: whatever passes names the request, has its key's
/// thumbprint and an `iat` inside the window, and a proof whose signature passes is one whose
/// signature the oracle checked itself, with another implementation (so skipping or breaking
/// the check would be caught).
pub fn dpop_proof(data: &[u8]) {
    use crate::algorithm::Algorithm;
    use crate::dpop::proof::{ProofContext, check};
    use crate::dpop::{Dpop, DpopMode};
    let Ok(text) = std::str::from_utf8(data) else { return };
    #[allow(clippy::expect_used, reason = "a constant, valid URL")]
    let dpop = Dpop::new(DpopMode::Allowed, "https://resource.example.org")
        .expect("valid URL")
        .algorithms([Algorithm::ES256]);
    let now = 1_562_262_618;
    let context = ProofContext {
        method: "GET",
        public_url: "https://resource.example.org",
        path: "/protectedresource",
        access_token: "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU",
        now,
    };
    let Ok(proof) = check(text, &dpop, &context) else { return };
    assert_eq!(proof.jkt().map(|jkt| jkt.len()).ok(), Some(43));
    assert!(proof.issued_at <= now + 5 && now <= proof.issued_at + 60);
    assert!(text.len() <= dpop.max_proof_bytes);
    let signed = proof.verify_signature().is_ok();
    assert_eq!(signed, es256_signature_holds(text), "the signature check disagrees");
}

/// The oracle's own ES256 check of a compact JWS, with the key of its header's `jwk`: parsed
/// with `serde_json` and checked with the backend crate directly, none of scopegate's code.
fn es256_signature_holds(proof: &str) -> bool {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let Some((input, signature)) = proof.rsplit_once('.') else { return false };
    let Some((header, _)) = input.split_once('.') else { return false };
    let Ok(header) = URL_SAFE_NO_PAD.decode(header) else { return false };
    let Ok(header) = serde_json::from_slice::<serde_json::Value>(&header) else { return false };
    let coordinate = |name: &str| {
        header.get("jwk")?.get(name)?.as_str().and_then(|text| URL_SAFE_NO_PAD.decode(text).ok())
    };
    let (Some(x), Some(y), Ok(signature)) =
        (coordinate("x"), coordinate("y"), URL_SAFE_NO_PAD.decode(signature))
    else {
        return false;
    };
    let point = [&[4u8][..], &x, &y].concat();
    #[cfg(feature = "aws-lc-rs")]
    {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
            .verify(input.as_bytes(), &signature)
            .is_ok()
    }
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
    {
        use p256::ecdsa::signature::Verifier;
        let (Ok(key), Ok(signature)) = (
            p256::ecdsa::VerifyingKey::from_sec1_bytes(&point),
            p256::ecdsa::Signature::from_slice(&signature),
        ) else {
            return false;
        };
        key.verify(input.as_bytes(), &signature).is_ok()
    }
}

/// The JWKS parser.
pub fn jwks(data: &[u8]) {
    if let Ok(keys) = crate::KeySet::from_jwks_bytes(data) {
        assert!(!keys.is_empty() && keys.len() <= crate::key::MAX_JWKS_KEYS);
    }
}

/// The secret, issuer, audience and time of the `security_event` target's tokens (HS256).
#[cfg(feature = "remote")]
pub const SECURITY_EVENT_CONTEXT: (&[u8], &str, &str, u64) = (
    b"scopegate fuzz: security events and logout tokens",
    "https://id.example.com",
    "orders-api",
    1_700_000_000,
);

/// Logout tokens and Security Event Tokens (the first byte picks which reader): never a panic,
/// never a wait with static keys, and a token accepted is one whose HS256 signature this
/// oracle verified itself, from the configured issuer, for the configured audience.
#[cfg(feature = "remote")]
pub fn security_event(data: &[u8]) {
    use std::sync::OnceLock;
    use std::task::{Context, Poll, Waker};
    use std::time::{Duration, SystemTime};

    struct Fixed;
    impl crate::clock::Clock for Fixed {
        fn now(&self) -> SystemTime {
            SystemTime::UNIX_EPOCH + Duration::from_secs(SECURITY_EVENT_CONTEXT.3)
        }
    }
    static VERIFIER: OnceLock<Option<crate::Verifier>> = OnceLock::new();
    let (secret, issuer, audience, _) = SECURITY_EVENT_CONTEXT;
    let verifier = VERIFIER.get_or_init(|| {
        let key = crate::key::VerificationKey::hmac_secret(secret).ok()?;
        let trusted = crate::TrustedIssuer::new(issuer).audience(audience).key(key);
        crate::Verifier::builder().trust(trusted).clock(Fixed).build_static().ok()
    });
    let (Some(verifier), Some((&selector, rest))) = (verifier, data.split_first()) else { return };
    let Ok(token) = std::str::from_utf8(rest) else { return };
    let accepted = if selector % 2 == 0 {
        let mut reading = std::pin::pin!(verifier.accept_logout_token(token));
        let polled = reading.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        assert!(polled.is_ready(), "a logout token checked with static keys waited");
        if let Poll::Ready(Ok(revocation)) = &polled {
            assert_eq!(revocation.issuer(), issuer);
        }
        matches!(polled, Poll::Ready(Ok(_)))
    } else {
        let mut reading = std::pin::pin!(verifier.accept_security_event(token));
        let polled = reading.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        assert!(polled.is_ready(), "a security event checked with static keys waited");
        if let Poll::Ready(Ok(Some(revocation))) = &polled {
            assert_eq!(revocation.issuer(), issuer);
        }
        matches!(polled, Poll::Ready(Ok(_)))
    };
    if !accepted {
        return;
    }
    let (input, signature) = token.trim_ascii().rsplit_once('.').unwrap_or_default();
    let expected = crate::crypto::hmac_sha256(secret, input.as_bytes());
    assert_eq!(jose::decode_segment(signature, "signature").ok().as_deref(), Some(&expected[..]));
    let payload = input.split_once('.').map(|(_, payload)| payload).unwrap_or_default();
    let payload = jose::decode_segment(payload, "payload").unwrap_or_default();
    let payload: serde_json::Value = serde_json::from_slice(&payload).unwrap_or_default();
    assert_eq!(payload.get("iss").and_then(serde_json::Value::as_str), Some(issuer));
    let aud = payload.get("aud");
    let named = |aud: &serde_json::Value| aud.as_str() == Some(audience);
    assert!(
        aud.is_some_and(
            |aud| named(aud) || aud.as_array().is_some_and(|auds| auds.iter().any(named))
        )
    );
}

/// A token's unverified `iss` against issuer patterns (the first byte picks the pattern and
/// the format): a tenant found is exactly the text between the pattern's two halves, written
/// in the format, so the issuer it stands for is the `iss` itself and stays inside the pattern.
#[cfg(feature = "remote")]
pub fn tenant_of(data: &[u8]) {
    use crate::verifier::tenant::{IssuerPattern, TenantFormat};
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(issuer) = std::str::from_utf8(rest) else { return };
    let (pattern, prefix, suffix) = match selector % 3 {
        0 => ("https://id.example.com/realms/{tenant}", "https://id.example.com/realms/", ""),
        1 => ("https://{tenant}.eu.auth0.com/", "https://", ".eu.auth0.com/"),
        _ => ("https://login.example.com/{tenant}/v2.0", "https://login.example.com/", "/v2.0"),
    };
    let format = match (selector / 3) % 3 {
        0 => TenantFormat::Guid,
        1 => TenantFormat::DnsLabel,
        _ => TenantFormat::Name,
    };
    // The three patterns are valid: `new` refusing one is a bug the fuzzer should report.
    #[allow(clippy::expect_used, reason = "fixed, valid patterns")]
    let pattern = IssuerPattern::new(pattern).expect("a valid pattern").format(format);
    if let Some(tenant) = pattern.tenant_of(issuer) {
        assert!(format.accepts(tenant));
        assert_eq!(format!("{prefix}{tenant}{suffix}"), issuer);
        assert!(!tenant.contains(['/', '.', ':', '@', '?', '#', '%']));
    }
}

/// Shared revocation records as Redis hands them back (the first byte picks how the rest is
/// read): never a panic; bytes not sealed by the replicas' secret are never applied; and a
/// sealed value that is applied holds values within the caps and reads back the same once
/// written again.
#[cfg(feature = "remote")]
pub fn revocation_record(data: &[u8]) {
    let _ = revocation_record_applied(data);
}

/// [`revocation_record`], saying whether the record was applied.
#[cfg(feature = "remote")]
fn revocation_record_applied(data: &[u8]) -> bool {
    use std::sync::{Arc, OnceLock};

    use crate::verifier::shared_revocations::{Nowhere, Sharing, encode};

    static SHARING: OnceLock<Option<Sharing>> = OnceLock::new();
    let sharing = SHARING.get_or_init(|| {
        let key = crate::SealingKey::new(b"scopegate fuzz: shared revocations".to_vec()).ok()?;
        Some(Sharing::new(Arc::new(Nowhere("orders")), key))
    });
    let Some(sharing) = sharing else { return false };
    let Some((&how, rest)) = data.split_first() else { return false };
    let (now, window) = (1_700_000_000, 86_400);
    if how % 2 == 0 {
        // As stored by someone who holds no secret: never applied.
        assert!(!matches!(sharing.open(rest, now, window), Ok(Some(_))), "a forged record opened");
        return false;
    }
    // As sealed by a replica: whatever the value, read within the caps or refused.
    let sealed = sharing.seal_value(rest, now + 600);
    if let Ok(Some(entry)) = sharing.open(&sealed, now, window) {
        assert!(entry.until() <= now + window);
        let again = encode(&entry);
        assert!(again.is_some(), "an applied record exceeds the caps");
        let resealed = sharing.seal_value(&again.unwrap_or_default(), entry.until());
        assert_eq!(sharing.open(&resealed, now, window), Ok(Some(entry)));
        return true;
    }
    false
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a missing seed folder fails the test")]
mod seeds {
    /// Every checked-in seed of `target` through `entry`: the invariants hold on them.
    fn run(target: &str, entry: fn(&[u8])) {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds").join(target);
        let mut count = 0;
        for file in std::fs::read_dir(&dir).unwrap() {
            entry(&std::fs::read(file.unwrap().path()).unwrap());
            count += 1;
        }
        assert!(count > 0, "no seeds in {}", dir.display());
    }

    /// The security-event seeds are accepted (so the target's oracle runs on them), and once
    /// only.
    #[cfg(feature = "remote")]
    #[test]
    fn the_security_event_seeds_are_accepted() {
        use std::time::{Duration, SystemTime};
        struct Fixed;
        impl crate::clock::Clock for Fixed {
            fn now(&self) -> SystemTime {
                SystemTime::UNIX_EPOCH + Duration::from_secs(super::SECURITY_EVENT_CONTEXT.3)
            }
        }
        let (secret, issuer, audience, _) = super::SECURITY_EVENT_CONTEXT;
        let key = crate::key::VerificationKey::hmac_secret(secret).unwrap();
        let trusted = crate::TrustedIssuer::new(issuer).audience(audience).key(key);
        let verifier =
            crate::Verifier::builder().trust(trusted).clock(Fixed).build_static().unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/seeds/security_event");
        let read = |name: &str| {
            String::from_utf8(std::fs::read(dir.join(name)).unwrap()[1..].to_vec()).unwrap()
        };
        let (logout, event) = (read("logout"), read("account-disabled"));
        use scopegate_testkit::block_on;
        assert!(block_on(verifier.accept_logout_token(&logout)).is_ok());
        assert!(block_on(verifier.accept_logout_token(&logout)).is_err());
        assert!(block_on(verifier.accept_security_event(&event)).is_ok());
    }

    /// The seed is RFC 9449's example proof, and it passes every check.
    #[test]
    fn the_rfc_9449_proof_seed_verifies() {
        use crate::dpop::proof::{ProofContext, check};
        use crate::dpop::{Dpop, DpopMode};
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds");
        let proof = std::fs::read_to_string(dir.join("dpop_proof/rfc9449-figure-13")).unwrap();
        let dpop = Dpop::new(DpopMode::Allowed, "https://resource.example.org").unwrap();
        let context = ProofContext {
            method: "GET",
            public_url: "https://resource.example.org",
            path: "/protectedresource",
            access_token: "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU",
            now: 1_562_262_618,
        };
        let checked = check(proof.trim(), &dpop, &context).unwrap();
        assert_eq!(checked.jkt().unwrap(), "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
        assert_eq!(checked.issued_at, 1_562_262_618);
        assert_eq!(checked.nonce, None);
        checked.verify_signature().unwrap();
        assert!(super::es256_signature_holds(proof.trim()));
        let other_token = ProofContext { access_token: "other", ..context };
        let error = check(proof.trim(), &dpop, &other_token).err().unwrap();
        assert_eq!(error.kind(), crate::ErrorKind::DpopProofTokenHash);
        // The oracle is not a tautology: a changed signature fails both checks.
        let tampered = format!("{}A", proof.trim().trim_end_matches(|c: char| c != '.'));
        assert!(!super::es256_signature_holds(&tampered));
    }

    #[test]
    fn every_seed_keeps_the_invariants() {
        run("token", super::token);
        run("claims", super::claims);
        run("scopes", super::scopes);
        run("jwks", super::jwks);
        run("dpop_proof", super::dpop_proof);
        #[cfg(feature = "remote")]
        run("introspection", super::introspection);
        #[cfg(feature = "remote")]
        run("signed_introspection", super::signed_introspection);
        #[cfg(feature = "remote")]
        run("tenant", super::tenant_of);
        #[cfg(feature = "remote")]
        run("security_event", super::security_event);
        #[cfg(feature = "remote")]
        run("revocation_record", super::revocation_record);
    }

    /// The sealed revocation seeds are applied (so the target's oracle runs on them); the
    /// forged one is not.
    #[cfg(feature = "remote")]
    #[test]
    fn the_sealed_revocation_seeds_are_applied() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/seeds/revocation_record");
        for (name, applied) in
            [("subject", true), ("overflow", true), ("session", true), ("forged", false)]
        {
            let seed = std::fs::read(dir.join(name)).unwrap();
            assert_eq!(super::revocation_record_applied(&seed), applied, "{name}");
        }
    }

    /// The seed is a signed answer that opens, so the target's oracle runs on it; changed by
    /// one byte of its payload, it does not.
    #[cfg(feature = "remote")]
    #[test]
    fn the_signed_answer_seed_opens() {
        use crate::remote::introspection::Answer;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds");
        let answer = std::fs::read(dir.join("signed_introspection/active")).unwrap();
        let (now, _, _) = super::SIGNED_INTROSPECTION_CONTEXT;
        let check = super::signed_introspection_check().unwrap();
        let opened = scopegate_testkit::block_on(check.open(&answer, now)).unwrap();
        let Answer::Active(members) = opened else { panic!("an active answer") };
        assert_eq!(members["sub"], "ada");
        let mut changed = answer.clone();
        let dot = changed.iter().position(|&b| b == b'.').unwrap();
        changed[dot + 5] ^= 1;
        assert!(scopegate_testkit::block_on(check.open(&changed, now)).is_err());
        assert!(scopegate_testkit::block_on(check.open(&answer, now + 61)).is_err());
    }
}
