//! The orders API configured from `SCOPEGATE_*` variables: a real identity provider, DPoP, and
//! the state replicas share on Redis.

use scopegate::dpop::{Dpop, DpopMode};
use scopegate::redis::{Redis, RedisAnswerCache, RedisOptions, RedisReplayStore, RedisRevocations};
use scopegate::remote::Introspection;
use scopegate::{Error, ErrorKind, ProtectedResource, SealingKey, Verifier, VerifierBuilder};

/// The state shared with the other replicas, when `SCOPEGATE_REDIS_URL` is set.
#[derive(Clone, Debug)]
pub struct SharedState {
    /// DPoP proofs seen by any replica.
    pub replay: RedisReplayStore,
    /// Introspection answers any replica got.
    pub answers: RedisAnswerCache,
    /// Revocations any replica took (logout tokens, security events).
    pub revocations: RedisRevocations,
    /// The secret every replica seals shared answers with (`SCOPEGATE_SHARED_SECRET`).
    pub sealing: SealingKey,
}

/// Connects to `SCOPEGATE_REDIS_URL` (namespace `orders-api`), if it is set; answers stored
/// there are sealed with `SCOPEGATE_SHARED_SECRET` (at least 32 bytes, the same on every
/// replica).
///
/// # Errors
///
/// When the URL does not parse, is plaintext to a host that is not loopback, Redis cannot be
/// reached at start, or the secret is missing or short.
pub async fn shared_state(
    variable: impl Fn(&str) -> Option<String>,
) -> Result<Option<SharedState>, Error> {
    let Some(url) = variable("SCOPEGATE_REDIS_URL") else { return Ok(None) };
    let secret = variable("SCOPEGATE_SHARED_SECRET").ok_or_else(|| {
        let message = "SCOPEGATE_REDIS_URL needs SCOPEGATE_SHARED_SECRET (32 bytes or more, the \
                       same on every replica): answers shared on Redis are sealed with it";
        Error::new(ErrorKind::InvalidConfiguration, message)
    })?;
    let sealing = SealingKey::new(secret.into_bytes())?;
    let redis = Redis::connect(&url, RedisOptions::new("orders-api")).await?;
    Ok(Some(SharedState {
        replay: RedisReplayStore::new(redis.clone()),
        answers: RedisAnswerCache::new(redis.clone()),
        revocations: RedisRevocations::new(redis),
        sealing,
    }))
}

/// The verifier builder for a real issuer, or `None` when `SCOPEGATE_ISSUER` is not set.
/// `variable` reads one variable (`std::env::var(..).ok()` in `main`, a map in tests);
/// `shared` comes from [`shared_state`].
///
/// | variable | meaning |
/// |---|---|
/// | `SCOPEGATE_ISSUER` | the issuer to trust (discovery finds its keys) |
/// | `SCOPEGATE_AUDIENCE` | the audience tokens must carry (default `orders-api`) |
/// | `SCOPEGATE_JWKS_URI` | the JWKS URL, instead of discovery |
/// | `SCOPEGATE_INTROSPECTION_CLIENT_ID`, `..._SECRET` | introspect opaque tokens (RFC 7662) with these credentials |
/// | `SCOPEGATE_INTROSPECTION_FORMAT` | `json` (default) or `jwt`: ask for signed answers (RFC 9701) and refuse unsigned ones |
/// | `SCOPEGATE_DPOP` | `off` (default), `allowed` or `required`: DPoP-bound tokens (RFC 9449) |
/// | `SCOPEGATE_PUBLIC_URL` | the URL clients reach this API at, which DPoP proofs name (default: the resource identifier) |
/// | `SCOPEGATE_REDIS_URL` | share DPoP replay checks, introspection answers and revocations with the other replicas |
/// | `SCOPEGATE_SHARED_SECRET` | with `SCOPEGATE_REDIS_URL`: the secret (32+ bytes, the same on every replica) that seals shared answers and revocations |
pub fn real_issuer(
    variable: impl Fn(&str) -> Option<String>,
    resource: ProtectedResource,
    shared: Option<&SharedState>,
) -> Option<Result<VerifierBuilder, Error>> {
    let issuer = variable("SCOPEGATE_ISSUER")?;
    let audience = variable("SCOPEGATE_AUDIENCE").unwrap_or_else(|| "orders-api".to_owned());
    let public_url =
        variable("SCOPEGATE_PUBLIC_URL").unwrap_or_else(|| resource.resource().to_string());
    let mut builder = with_shared_revocations(
        Verifier::builder().issuer(issuer).audience(audience).protected_resource(resource),
        shared,
    );
    if let Some(jwks_uri) = variable("SCOPEGATE_JWKS_URI") {
        builder = builder.jwks_uri(jwks_uri);
    }
    if let (Some(id), Some(secret)) = (
        variable("SCOPEGATE_INTROSPECTION_CLIENT_ID"),
        variable("SCOPEGATE_INTROSPECTION_CLIENT_SECRET"),
    ) {
        let mut introspection = Introspection::new(id, secret);
        match variable("SCOPEGATE_INTROSPECTION_FORMAT").as_deref() {
            None | Some("json") => {}
            Some("jwt") => introspection = introspection.signed_answers(true),
            Some(other) => {
                let message =
                    format!("SCOPEGATE_INTROSPECTION_FORMAT is `{other}`: use json or jwt");
                return Some(Err(Error::new(ErrorKind::InvalidConfiguration, message)));
            }
        }
        if let Some(shared) = shared {
            introspection =
                introspection.shared_cache(shared.answers.clone(), shared.sealing.clone());
        }
        builder = builder.introspection(introspection);
    }
    let mode = match variable("SCOPEGATE_DPOP").as_deref() {
        None | Some("off") => return Some(Ok(builder)),
        Some("allowed") => DpopMode::Allowed,
        Some("required") => DpopMode::Required,
        Some(other) => {
            let message = format!("SCOPEGATE_DPOP is `{other}`: use off, allowed or required");
            return Some(Err(Error::new(ErrorKind::InvalidConfiguration, message)));
        }
    };
    Some(Dpop::new(mode, &public_url).map(|dpop| builder.dpop(with_shared_replay(dpop, shared))))
}

/// `builder` with the shared revocations, when there are some: a token revoked on any
/// replica is refused by all.
pub fn with_shared_revocations(
    builder: VerifierBuilder,
    shared: Option<&SharedState>,
) -> VerifierBuilder {
    match shared {
        Some(shared) => {
            builder.shared_revocations(shared.revocations.clone(), shared.sealing.clone())
        }
        None => builder,
    }
}

/// `dpop` with the shared replay store, when there is one.
pub fn with_shared_replay(dpop: Dpop, shared: Option<&SharedState>) -> Dpop {
    match shared {
        Some(shared) => dpop.replay_store(shared.replay.clone()),
        None => dpop,
    }
}
