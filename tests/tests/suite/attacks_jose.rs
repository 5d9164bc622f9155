//! Attacks on the token as a JWS: algorithms, key confusion, embedded keys, `kid`
//! injection, header extensions, serialization shapes, encodings, duplicate members, nesting,
//! size and signature forgeries. Each case asserts the status and the exact challenge.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]


use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::attack::{Case, Expect, REQUIRED, Target, run, says};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use scopegate_core::Algorithm;
use scopegate_testkit::{TestKey, encode_token};
use serde_json::{Value, json};

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

/// A valid payload for the target, as JSON text.
fn payload(target: &Target) -> String {
    let (_, claims) = target.issuer.token().scopes([REQUIRED]).parts();
    claims.to_string()
}

/// `header.payload.signature` from JSON texts and raw signature bytes.
fn raw(header: &str, payload: &str, signature: &[u8]) -> String {
    encode_token(header.as_bytes(), payload.as_bytes(), signature)
}

/// Replaces the signature of `token` with `signature`.
fn with_signature(token: &str, signature: &[u8]) -> String {
    let (input, _) = token.rsplit_once('.').unwrap();
    format!("{input}.{}", b64(signature))
}

/// An ECDSA fixed-size signature (`r || s`) as DER: `SEQUENCE { INTEGER r, INTEGER s }`.
fn der(fixed: &[u8]) -> Vec<u8> {
    let integer = |half: &[u8]| {
        let mut value: Vec<u8> = half.iter().copied().skip_while(|b| *b == 0).collect();
        if value.first().is_some_and(|b| b & 0x80 != 0) {
            value.insert(0, 0);
        }
        let mut out = vec![0x02, u8::try_from(value.len()).unwrap()];
        out.extend(value);
        out
    };
    let (r, s) = fixed.split_at(fixed.len() / 2);
    let body = [integer(r), integer(s)].concat();
    let mut out = vec![0x30, u8::try_from(body.len()).unwrap()];
    out.extend(body);
    out
}

#[tokio::test]
async fn jose_attacks_are_refused() {
    let target = Target::new();
    let app = target.app();
    let issuer = &target.issuer;
    let claims = payload(&target);
    let attacker = TestKey::rsa();
    let mut cases = vec![Case::token("baseline: a valid token", target.valid(), Expect::Allowed)];

    // `alg: none` in every spelling, with and without a signature.
    for spelling in ["none", "None", "NONE", "nOnE", "none "] {
        let token = issuer.token().scopes([REQUIRED]).unsigned(spelling);
        cases.push(Case::token(
            format!("alg {spelling:?}"),
            &token,
            Expect::InvalidToken(says::NONE),
        ));
        cases.push(Case::token(
            format!("alg {spelling:?}, signed"),
            token + "c2ln",
            Expect::InvalidToken(says::NONE),
        ));
    }
    cases.push(Case::token(
        "alg none with a NUL",
        raw(r#"{"alg":"none\u0000"}"#, &claims, b""),
        Expect::InvalidToken(says::ALG_UNSUPPORTED),
    ));

    // Key confusion: HMAC keyed with the public key in every form.
    let rsa_jwk = target.rsa.public_jwk();
    let ec_jwk = target.ec.public_jwk();
    let ec_point =
        [vec![4], unb64(ec_jwk["x"].as_str().unwrap()), unb64(ec_jwk["y"].as_str().unwrap())]
            .concat();
    let confusions: [(&str, Vec<u8>); 8] = [
        ("HS256 keyed with the RSA PEM", target.rsa.public_key_pem().into_bytes()),
        ("HS256 keyed with the RSA DER", target.rsa.public_key_der()),
        ("HS256 keyed with the RSA JWK", rsa_jwk.to_string().into_bytes()),
        ("HS256 keyed with the RSA modulus", unb64(rsa_jwk["n"].as_str().unwrap())),
        ("HS256 keyed with the EC PEM", target.ec.public_key_pem().into_bytes()),
        ("HS256 keyed with the EC DER", target.ec.public_key_der()),
        ("HS256 keyed with the EC JWK", ec_jwk.to_string().into_bytes()),
        ("HS256 keyed with the EC point", ec_point),
    ];
    for (name, secret) in confusions {
        let token =
            issuer.token().scopes([REQUIRED]).sign_hmac_with_secret(Algorithm::HS256, &secret);
        cases.push(Case::token(name, token, Expect::InvalidToken(says::ALG_NOT_ALLOWED)));
    }
    let pss = issuer.token().scopes([REQUIRED]).algorithm(Algorithm::PS256).sign();
    cases.push(Case::token(
        "PS256 under a key pinned to RS256",
        pss,
        Expect::InvalidToken(says::UNKNOWN_KEY),
    ));
    let swapped = issuer.token().scopes([REQUIRED]).sign();
    let swapped = swapped.replacen(
        &swapped[..swapped.find('.').unwrap()],
        &b64(r#"{"alg":"ES256","kid":"rsa-1"}"#),
        1,
    );
    cases.push(Case::token(
        "RS256 signature under alg ES256",
        swapped,
        Expect::InvalidToken(says::UNKNOWN_KEY),
    ));

    // Embedded keys and key URLs are never used, nor fetched.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bait = format!("http://{}/jwks", listener.local_addr().unwrap());
    let contacted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&contacted);
    tokio::spawn(async move {
        while listener.accept().await.is_ok() {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    for (member, value) in [
        ("jwk", attacker.public_jwk()),
        ("jku", json!(bait)),
        ("x5u", json!(bait)),
        ("x5c", json!([b64(attacker.public_key_der())])),
    ] {
        let token = issuer.token().scopes([REQUIRED]).header(member, value).sign_with(&attacker);
        cases.push(Case::token(
            format!("embedded {member}"),
            token,
            Expect::InvalidToken(says::SIGNATURE),
        ));
    }

    // `kid` injection.
    for kid in [
        "../../../../etc/passwd",
        "' OR '1'='1",
        "\u{0}",
        "${jndi:ldap://x}",
        "☃",
        &"k".repeat(2000),
    ] {
        let token = issuer.token().scopes([REQUIRED]).key_id(kid).sign();
        let name = format!("kid {:?}", kid.chars().take(24).collect::<String>());
        cases.push(Case::token(name, token, Expect::InvalidToken(says::UNKNOWN_KEY)));
    }

    // Header extensions.
    let crit = issuer.token().scopes([REQUIRED]).header("crit", ["exp"]).sign();
    cases.push(Case::token("crit [exp]", crit, Expect::InvalidToken(says::CRIT)));
    let crit_empty = issuer.token().scopes([REQUIRED]).header("crit", Vec::<String>::new()).sign();
    cases.push(Case::token("crit []", crit_empty, Expect::InvalidToken(says::CRIT)));
    let b64_false = issuer.token().scopes([REQUIRED]).header("b64", false).sign();
    cases.push(Case::token("b64 false", b64_false, Expect::InvalidToken(says::B64)));

    // Serialization shapes.
    let valid = target.valid();
    let segments: Vec<&str> = valid.split('.').collect();
    cases.push(Case::token(
        "JWE, five segments",
        format!("{valid}.a.b"),
        Expect::InvalidToken(says::JWE),
    ));
    let json_serialization = json!({"payload": segments[1], "signatures": [{"protected": segments[0], "signature": segments[2]}]});
    cases.push(Case::token(
        "JWS JSON serialization",
        json_serialization.to_string(),
        Expect::InvalidRequest(says::CHARACTERS),
    ));
    cases.push(Case::token(
        "two segments",
        format!("{}.{}", segments[0], segments[1]),
        Expect::InvalidToken(says::MALFORMED_SHAPE),
    ));
    cases.push(Case::token(
        "four segments",
        format!("{valid}.e30"),
        Expect::InvalidToken(says::MALFORMED_SHAPE),
    ));
    cases.push(Case::token(
        "one segment",
        segments[1],
        Expect::InvalidToken(says::MALFORMED_SHAPE),
    ));
    cases.push(Case::token(
        "200,000 segments",
        "e30.".repeat(200_000),
        Expect::InvalidToken(says::TOO_LARGE),
    ));

    // Encodings.
    cases.push(Case::token(
        "padded signature",
        format!("{valid}="),
        Expect::InvalidToken(says::SIGNATURE_B64),
    ));
    let padded_header = format!("{}=.{}.{}", segments[0], segments[1], segments[2]);
    cases.push(Case::token(
        "padded header",
        padded_header,
        Expect::InvalidRequest(says::CHARACTERS),
    ));
    let plus = format!("{}+/.{}.{}", segments[0], segments[1], segments[2]);
    cases.push(Case::token("+/ alphabet", plus, Expect::InvalidToken(says::HEADER_B64)));
    let spaced = format!("{} {}", &valid[..10], &valid[10..]);
    cases.push(Case::token("whitespace inside", spaced, Expect::InvalidRequest(says::CHARACTERS)));
    let header_29 = r#"{"alg":"RS256","kid":"rsa-1"}"#;
    // 29 bytes end in a 3-character group whose last character carries 2 unused bits: set one.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut loose = b64(header_29).into_bytes();
    let last = loose.last_mut().unwrap();
    let index = alphabet.iter().position(|c| c == last).unwrap();
    *last = alphabet[index ^ 1];
    let non_canonical =
        format!("{}.{}.{}", String::from_utf8(loose).unwrap(), segments[1], segments[2]);
    cases.push(Case::token(
        "non-canonical base64",
        non_canonical,
        Expect::InvalidToken(says::HEADER_B64),
    ));
    let bom = encode_token(
        &[b"\xef\xbb\xbf".as_slice(), header_29.as_bytes()].concat(),
        claims.as_bytes(),
        b"sig",
    );
    cases.push(Case::token("BOM in header", bom, Expect::InvalidToken(says::HEADER_JSON)));
    let bad_header = encode_token(b"{\"alg\":\"RS\xff256\"}", claims.as_bytes(), b"sig");
    cases.push(Case::token(
        "invalid UTF-8 in header",
        bad_header,
        Expect::InvalidToken(says::HEADER_JSON),
    ));
    let bad_payload = encode_token(header_29.as_bytes(), b"{\"iss\":\"\xff\"}", b"sig");
    cases.push(Case::token(
        "invalid UTF-8 in payload",
        bad_payload,
        Expect::InvalidToken(says::PAYLOAD_JSON),
    ));

    // Duplicate members.
    cases.push(Case::token(
        "duplicate alg",
        raw(r#"{"alg":"RS256","kid":"rsa-1","alg":"HS256"}"#, &claims, b"sig"),
        Expect::InvalidToken(says::HEADER_DUPLICATE),
    ));
    let mut object: serde_json::Map<String, Value> = serde_json::from_str(&claims).unwrap();
    object.remove("aud");
    object.remove("exp");
    object.remove("scope");
    let base = Value::Object(object).to_string();
    let base = &base[..base.len() - 1];
    for (name, extra) in [
        ("duplicate aud", r#","aud":"https://api.scopegate.test","aud":"other""#),
        ("duplicate exp", r#","exp":4000000000,"exp":1"#),
        ("duplicate scope", r#","scope":"orders.read","scope":"admin""#),
        ("duplicate exp through an escape", r#","exp":4000000000,"\u0065xp":1"#),
    ] {
        let token = raw(header_29, &format!("{base}{extra}}}"), b"sig");
        cases.push(Case::token(name, token, Expect::InvalidToken(says::PAYLOAD_DUPLICATE)));
    }

    // Nesting and size.
    let deep = format!("{{\"iss\":\"x\",\"deep\":{}1{}}}", "[".repeat(40), "]".repeat(40));
    cases.push(Case::token(
        "deep payload",
        raw(header_29, &deep, b"sig"),
        Expect::InvalidToken(says::TOO_DEEP),
    ));
    let deep_header =
        format!("{{\"alg\":\"RS256\",\"x\":{}1{}}}", "{\"a\":".repeat(40), "}".repeat(40));
    cases.push(Case::token(
        "deep header",
        raw(&deep_header, &claims, b"sig"),
        Expect::InvalidToken(says::TOO_DEEP),
    ));
    cases.push(Case::token(
        "1 MiB token",
        "a".repeat(1 << 20),
        Expect::InvalidToken(says::TOO_LARGE),
    ));
    let huge_claim = issuer.token().scopes([REQUIRED]).claim("blob", "x".repeat(1 << 20)).sign();
    cases.push(Case::token("1 MiB claim", huge_claim, Expect::InvalidToken(says::TOO_LARGE)));

    // Signature forgeries.
    let es256 = issuer.token_with_key(&target.ec).scopes([REQUIRED]).sign();
    cases.push(Case::token("baseline: a valid ES256 token", &es256, Expect::Allowed));
    cases.push(Case::token(
        "psychic ECDSA (r = s = 0)",
        with_signature(&es256, &[0; 64]),
        Expect::InvalidToken(says::SIGNATURE),
    ));
    let fixed = unb64(es256.rsplit('.').next().unwrap());
    cases.push(Case::token(
        "DER-encoded ECDSA",
        with_signature(&es256, &der(&fixed)),
        Expect::InvalidToken(says::SIGNATURE),
    ));
    let rsa_signature = unb64(valid.rsplit('.').next().unwrap());
    let truncated = with_signature(&valid, &rsa_signature[..rsa_signature.len() - 3]);
    cases.push(Case::token(
        "truncated RSA signature",
        truncated,
        Expect::InvalidToken(says::SIGNATURE),
    ));
    cases.push(Case::token(
        "empty signature",
        with_signature(&valid, b""),
        Expect::InvalidToken(says::SIGNATURE),
    ));
    cases.push(Case::token(
        "tampered payload",
        issuer.token().scopes([REQUIRED]).tampered(),
        Expect::InvalidToken(says::SIGNATURE),
    ));
    cases.push(Case::token(
        "another issuer's key",
        issuer.token().scopes([REQUIRED]).sign_with(&attacker),
        Expect::InvalidToken(says::SIGNATURE),
    ));

    let count = run(&app, cases).await;
    assert_eq!(count, 65, "every case ran");
    // Every case was answered without waiting for keys, and the verifier has no way to fetch
    // later: no remote key source and no background task. So the count below is final, not
    // a snapshot taken after a guess at how long a fetch would take.
    assert!(target.verifier.key_source_stats().is_empty());
    assert_eq!(target.verifier.background_tasks(), 0);
    assert_eq!(contacted.load(Ordering::SeqCst), 0, "a key URL from a token was fetched");
}
