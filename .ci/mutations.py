#!/usr/bin/env python3
"""Breaks each fix of the trust work once and checks that the test named for it fails.

Each entry undoes one fix (the code as it was, or the property broken by hand), runs the tests
that must catch it, and restores the file. A mutation whose tests still pass is a test that
cannot fail for its claim: the script reports it and exits non-zero.

    .ci/mutations.py            # every mutation
    .ci/mutations.py seal dpop  # those whose name contains one of the words

Not part of CI (each mutation rebuilds a test binary); run it when a security test or the code
it guards changes.
"""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

# (name, file, code as fixed, code with the fix undone, cargo test arguments)
MUTATIONS = [
    (
        "grpc: odd spellings of a named service's paths pass",
        "crates/scopegate-tower/src/grpc/methods.rs",
        "        let service = path.split('/').find(|segment| !segment.is_empty()).unwrap_or_default();",
        "        let service = split(path).map_or(\"\", |(service, _)| service);",
        ["-p", "scopegate-tower", "--lib", "grpc"],
    ),
    (
        "grpc: closed_except closes nothing",
        "crates/scopegate-tower/src/grpc/methods.rs",
        "                if super::is_grpc(request.method, request.headers) && !open.contains(service) =>",
        "                if false && super::is_grpc(request.method, request.headers) =>",
        ["-p", "scopegate-tests", "--test", "suite", "grpc::a_closed_table"],
    ),
    (
        "grpc: any method with a gRPC content type is a gRPC call",
        "crates/scopegate-tower/src/grpc/mod.rs",
        "    if method != Method::POST {",
        "    if false && method != Method::POST {",
        ["-p", "scopegate-tower", "--lib", "grpc"],
    ),
    (
        "guard: a pair checks the rule that does not govern the request",
        "crates/scopegate-tower/src/guard.rs",
        "        if self.0.governs(request) {\n            self.0.check(claims, request)?;",
        "        if true {\n            self.0.check(claims, request)?;",
        ["-p", "scopegate-tower", "--lib", "grpc"],
    ),
    (
        "guard: a pair names the scopes of the rule that does not govern the request",
        "crates/scopegate-tower/src/guard.rs",
        "        of(self.0.governs(request), &|| self.0.required_scope_for(request))",
        "        of(true, &|| self.0.required_scope_for(request))",
        ["-p", "scopegate-tower", "--lib", "grpc"],
    ),
    (
        "grpc: gRPC calls answered with HTTP errors",
        "crates/scopegate-tower/src/context.rs",
        "        if self.grpc {",
        "        if false && self.grpc {",
        ["-p", "scopegate-tests", "--test", "suite", "grpc::"],
    ),
    (
        "grpc: guards after the layer answer in HTTP",
        "crates/scopegate-tower/src/context.rs",
        "        Self { grpc: true, ..self.clone() }",
        "        Self { grpc: false, ..self.clone() }",
        ["-p", "scopegate-tests", "--test", "suite", "grpc::every_refusal"],
    ),
    (
        "grpc: DPoP calls answered in HTTP",
        "crates/scopegate-tower/src/service.rs",
        "            let base = if grpc::is_grpc(&parts.headers) {",
        "            let base = if false && grpc::is_grpc(&parts.headers) {",
        ["-p", "scopegate-tests", "--test", "suite", "grpc::dpop"],
    ),
    (
        "grpc: a method the table does not name passes",
        "crates/scopegate-tower/src/grpc/methods.rs",
        "        self.services.contains(service).then(|| self.methods.get(path))",
        "        self.methods.get(path).map(Some)",
        ["-p", "scopegate-tests", "--test", "suite", "grpc::"],
    ),
    (
        "grpc: the challenge left out of the metadata",
        "crates/scopegate-tower/src/grpc/mod.rs",
        "    for name in [WWW_AUTHENTICATE, DPOP_NONCE, RETRY_AFTER] {",
        "    for name in [DPOP_NONCE, RETRY_AFTER] {",
        ["-p", "scopegate-tests", "--test", "suite", "grpc::every_refusal"],
    ),
    (
        "grpc: Retry-After left out of the metadata",
        "crates/scopegate-tower/src/grpc/mod.rs",
        "    for name in [WWW_AUTHENTICATE, DPOP_NONCE, RETRY_AFTER] {",
        "    for name in [WWW_AUTHENTICATE, DPOP_NONCE] {",
        ["-p", "scopegate-tests", "--test", "suite", "grpc::unavailable"],
    ),
    (
        "grpc: an anonymous call not told the method's scopes",
        "crates/scopegate-tower/src/grpc/methods.rs",
        "        self.rule_of(request).flatten().and_then(|rule| rule.required_scope())",
        "        None",
        ["-p", "scopegate-tests", "--test", "suite", "grpc::every_refusal"],
    ),
    (
        "grpc: messages not percent-encoded",
        "crates/scopegate-tower/src/grpc/mod.rs",
        "        if (0x20..=0x7e).contains(&byte) && byte != b'%' {",
        "        if true {",
        ["-p", "scopegate-tower", "--lib", "grpc"],
    ),
    (
        "mtls: another certificate passes",
        "crates/scopegate-core/src/verifier/binding.rs",
        "            Some(presented) if presented.as_str() != bound => {",
        "            Some(presented) if false && presented.as_str() != bound => {",
        ["-p", "scopegate-tests", "--test", "suite", "mtls"],
    ),
    (
        "mtls: a bound token passes without a certificate",
        "crates/scopegate-core/src/verifier/binding.rs",
        "                return Err(Error::new(ErrorKind::ClientCertificateMissing, message));",
        "                let _ = message;",
        ["-p", "scopegate-tests", "--test", "suite", "mtls"],
    ),
    (
        "mtls: a token bound to a key passes as a bearer token beside a certificate",
        "crates/scopegate-core/src/verifier/binding.rs",
        "    if key.is_some() && !dpop_proven {",
        "    if key.is_some() && !dpop_proven && bound_certificate.is_none() {",
        ["-p", "scopegate-tests", "--test", "suite", "mtls::a_bound_token"],
    ),
    (
        "mtls: the DPoP path skips the certificate",
        "crates/scopegate-core/src/verifier/dpop.rs",
        "        super::binding::check(&claims, request.certificate, true)?;\n",
        "",
        ["-p", "scopegate-tests", "--test", "suite", "mtls::a_token_bound_to_a_key_and"],
    ),
    (
        "mtls: the bearer layer ignores the connection's certificate",
        "crates/scopegate-tower/src/service.rs",
        "        let certificate = certificate.map(ClientCertificate::thumbprint);\n",
        "        let certificate = certificate.map(ClientCertificate::thumbprint).filter(|_| false);\n",
        ["-p", "scopegate-tests", "--test", "suite", "mtls::a_bound_token"],
    ),
    (
        "mtls: TLS serving never passes the certificate on",
        "crates/scopegate-tower/src/tls/mod.rs",
        "                extensions.insert(certificate.clone());",
        "                let _ = certificate;",
        ["-p", "scopegate-tests", "--test", "suite", "mtls::a_bound_token"],
    ),
    (
        "mtls: a Client-Cert header believed from anyone",
        "crates/scopegate-tower/src/client_cert/mod.rs",
        "            .is_some_and(|address| self.layer.proxies.contains(address));",
        "            .is_none_or(|_| true);",
        ["-p", "scopegate-tests", "--test", "suite", "mtls_proxy"],
    ),
    (
        "mtls: the Client-Cert header reaches the route",
        "crates/scopegate-tower/src/client_cert/mod.rs",
        "        headers.remove(CLIENT_CERT);\n",
        "",
        ["-p", "scopegate-tests", "--test", "suite", "mtls_proxy"],
    ),
    (
        "mtls: a proxy's own certificate stands for the client's",
        "crates/scopegate-tower/src/client_cert/mod.rs",
        "            extensions.remove::<ClientCertificate>();\n",
        "",
        ["-p", "scopegate-tower", "--lib", "client_cert"],
    ),
    (
        "mtls: trusted proxy blocks ignore their prefix",
        "crates/scopegate-tower/src/client_cert/proxies.rs",
        "            block.is_ipv4() == address.is_ipv4() && masked(address, prefix) == block",
        "            block.is_ipv4() == address.is_ipv4()",
        ["-p", "scopegate-tower", "--lib", "client_cert"],
    ),
    (
        "mtls: a certificate-bound token forwarded as a bearer token",
        "crates/scopegate-tower/src/forward.rs",
        "        if self.certificate_bound {",
        "        if false && self.certificate_bound {",
        ["-p", "scopegate-tests", "--test", "suite", "downstream::forwarding_only"],
    ),
    (
        "exchange: a bound token sent to the token endpoint",
        "crates/scopegate-core/src/verifier/exchange.rs",
        "        if claims.confirmation().is_some() {",
        "        if false && claims.confirmation().is_some() {",
        ["-p", "scopegate-tests", "--test", "suite", "downstream::refusals"],
    ),
    (
        "tls: a client that stops reading keeps its place",
        "crates/scopegate-tower/src/tls/mod.rs",
        "WriteStall::new(tls, self.write_timeout)",
        "WriteStall::new(tls, self.write_timeout * 1000)",
        ["-p", "scopegate-tests", "--test", "suite", "mtls::a_client_that_stops"],
    ),
    (
        "rfc 9701: signed replicas read plain replicas' shared answers",
        "crates/scopegate-core/src/verifier/shared_answers.rs",
        "            format,\n",
        "",
        ["-p", "scopegate-tests", "--test", "suite", "introspection_signed::only_answers"],
    ),
    (
        "rfc 9701: any aud",
        "crates/scopegate-core/src/verifier/signed_answer.rs",
        "        if !for_us {",
        "        if false && !for_us {",
        ["-p", "scopegate-tests", "--test", "suite", "introspection_signed"],
    ),
    (
        "rfc 9701: any iss",
        "crates/scopegate-core/src/verifier/signed_answer.rs",
        "        if payload.get(\"iss\").and_then(Value::as_str) != Some(&*self.issuer) {",
        "        if false {",
        ["-p", "scopegate-tests", "--test", "suite", "introspection_signed"],
    ),
    (
        "rfc 9701: old answers",
        "crates/scopegate-core/src/verifier/signed_answer.rs",
        "        if now > issued_at.saturating_add(MAX_SIGNED_ANSWER_AGE).saturating_add(self.leeway) {",
        "        if false {",
        ["-p", "scopegate-tests", "--test", "suite", "introspection_signed"],
    ),
    (
        "rfc 9701: the signature not checked",
        "crates/scopegate-core/src/verifier/signed_answer.rs",
        "        self.check_signature(&header, parts.signing_input.as_bytes(), &signature).await?;",
        "        let _ = (&header, &signature);",
        ["-p", "scopegate-tests", "--test", "suite", "introspection_signed"],
    ),
    (
        "rfc 9701: an access token passes as an answer",
        "crates/scopegate-core/src/jose/header.rs",
        "            return if is(\"token-introspection+jwt\") || is(\"application/token-introspection+jwt\")",
        "            return if access_token || is(\"token-introspection+jwt\") || is(\"application/token-introspection+jwt\")",
        ["-p", "scopegate-tests", "--test", "suite", "introspection_signed"],
    ),
    (
        "rfc 9701: unsigned answers accepted when signed ones were asked for",
        "crates/scopegate-core/src/remote/introspection/call.rs",
        "            if !is_signed_answer(&response.headers) {",
        "            if false {",
        ["-p", "scopegate-tests", "--test", "suite", "introspection_signed"],
    ),
    (
        "seal: a tag that does not verify is accepted",
        "crates/scopegate-core/src/seal.rs",
        "        if !genuine {",
        "        if false && !genuine {",
        ["-p", "scopegate-tests", "--test", "suite", "redis_attacks::a_forged_answer"],
    ),
    (
        "shared answers: keyed by the token alone",
        "crates/scopegate-core/src/verifier/shared_answers.rs",
        "        input.extend_from_slice(&self.scope);\n",
        "",
        ["-p", "scopegate-tests", "--test", "suite", "redis_attacks::two_apis"],
    ),
    (
        "redis: plaintext to any host",
        "crates/scopegate-redis/src/connection.rs",
        "        if !options.plaintext_allowed && !is_protected(",
        "        if false && !is_protected(",
        ["-p", "scopegate-redis", "--lib", "plaintext"],
    ),
    (
        "dpop: replay TTL by the accepting replica's clock",
        "crates/scopegate-core/src/verifier/dpop.rs",
        "proof.issued_at, dpop.replay_ttl());",
        "proof.issued_at, std::time::Duration::from_secs(proof.issued_at.saturating_add(dpop.max_age.as_secs()).saturating_sub(now).saturating_add(1)));",
        ["-p", "scopegate-tests", "--test", "suite", "redis_attacks::a_proof_is_remembered"],
    ),
    (
        "dpop: the signature before the token",
        "crates/scopegate-core/src/verifier/dpop.rs",
        "        let proof = proof::check(proof, dpop, &context)?;\n",
        "        let proof = proof::check(proof, dpop, &context)?;\n        proof.verify_signature()?;\n",
        ["-p", "scopegate-tests", "--test", "suite", "dpop_attacks::"],
    ),
    (
        "dpop: proof RSA keys of any size",
        "crates/scopegate-core/src/dpop/proof.rs",
        "        bits > MAX_PROOF_RSA_BITS || exponent > MAX_PROOF_RSA_EXPONENT",
        "        bits > 8192 || exponent > (1 << 33)",
        ["-p", "scopegate-tests", "--test", "suite", "dpop_attacks::an_attacker_chosen"],
    ),
    (
        "dpop: a full replay store refuses everyone",
        "crates/scopegate-core/src/dpop/memory_replay.rs",
        "        if shard.seen.len() >= self.per_shard {\n            forgotten +=",
        "        if shard.seen.len() >= self.per_shard {\n            return Err(Error::new(ErrorKind::ReplayStoreUnavailable, \"full\"));\n        }\n        if false {\n            forgotten +=",
        # A shard fills only with several keys' proofs (one key stops at its quota), which a
        # router test cannot place in one shard: the store's own tests can.
        ["-p", "scopegate-core", "--lib", "memory_replay"],
    ),
    (
        "dpop: one watermark for every key of a shard",
        "crates/scopegate-core/src/dpop/memory_replay.rs",
        "        let state = self.keys.get(&key);\n",
        "        let _ = key;\n        let state = self.keys.values().filter(|state| state.watermark_until > now).max_by_key(|state| state.watermark);\n",
        ["-p", "scopegate-tests", "--test", "suite", "dpop::regression_a_flood"],
    ),
    (
        "dpop: dot segments resolved against the public URL",
        "crates/scopegate-core/src/dpop/mod.rs",
        "        (path.starts_with('/') && !uri::has_dot_segment(path)).then_some(path)",
        "        path.starts_with('/').then_some(path)",
        ["-p", "scopegate-tests", "--test", "suite", "dpop_attacks::dot_segments"],
    ),
    (
        "introspection: syntax checked after the network",
        "crates/scopegate-core/src/verifier/mod.rs",
        "        if let Err(error) = check_token_syntax(token) {\n            return Some(Verification::Ready(Err(error)));\n        }\n",
        "",
        ["-p", "scopegate-tests", "--test", "suite", "introspection_attacks::bad_syntax"],
    ),
    (
        "introspection: no admission bound",
        "crates/scopegate-core/src/verifier/introspect.rs",
        "            flights: Flights::new(config.max_concurrent, bound),",
        "            flights: Flights::new(config.max_concurrent * 1_000, bound),",
        ["-p", "scopegate-tests", "--test", "suite", "introspection_attacks::a_flood"],
    ),
    (
        "introspection: strict mode for JWTs only",
        "crates/scopegate-core/src/verifier/rules.rs",
        "        // The same members are required of an introspection answer in strict mode.\n        if self.rfc9068 {",
        "        if self.rfc9068 && source == Source::Jwt {",
        ["-p", "scopegate-tests", "--test", "suite", "introspection_attacks::strict_mode"],
    ),
    (
        "introspection: answers about other kinds of token",
        "crates/scopegate-core/src/verifier/introspected_claims.rs",
        "    refuse_other_kinds(&members)?;\n",
        "",
        ["-p", "scopegate-tests", "--test", "suite", "introspection_attacks::answers_about"],
    ),
    (
        "introspection: JWT headers unchecked under every_token",
        "crates/scopegate-core/src/verifier/mod.rs",
        "        if jwt && let Err(error) = pipeline::check_header(",
        "        if false && let Err(error) = pipeline::check_header(",
        ["-p", "scopegate-tests", "--test", "suite", "introspection_attacks::every_token_mode"],
    ),
    (
        "introspection: granted answers past the maximum age",
        "crates/scopegate-core/src/verifier/introspect.rs",
        "                .min(rules.valid_until(&claims))\n",
        "",
        ["-p", "scopegate-tests", "--test", "suite", "introspection_attacks::cached_outcomes"],
    ),
    (
        "introspection: refusals time lifts cached as final",
        "crates/scopegate-core/src/verifier/introspect.rs",
        "            if !config.inactive_cache_for.is_zero() && !lifted_by_time {",
        "            if !config.inactive_cache_for.is_zero() {",
        ["-p", "scopegate-tests", "--test", "suite", "introspection_attacks::cached_outcomes"],
    ),
    (
        "keys: one key the backend refuses fails the set",
        "crates/scopegate-core/src/key/store.rs",
        "                    Err(error) => tracing::warn!(",
        "                    Err(error) => return Self { keys: { let _ = &error; Vec::new() } },\n                    #[allow(unreachable_patterns)]\n                    Err(error) => tracing::warn!(",
        ["-p", "scopegate-tests", "--test", "suite", "remote_keys::regression_a_key"],
    ),
    (
        "keys: the rsa crate's own 4096-bit cap",
        "crates/scopegate-core/src/crypto/rust_crypto.rs",
        "                    super::material::MAX_RSA_BITS,\n",
        "                    4096,\n",
        ["-p", "scopegate-rust-crypto-tests"],
    ),
    (
        "forwarding: the token re-read with other rules",
        "crates/scopegate-tower/src/forward.rs",
        "        let token = recorded_token(headers, source, scheme, context.cookie_name())?;",
        "        let found = crate::extract::credentials(headers, None, true).ok()??;\n        let (scheme, token) = (found.scheme, found.text().ok()?);\n        let _ = (source, context.cookie_name());",
        ["-p", "scopegate-tests", "--test", "suite", "downstream::regression_the_forwarded"],
    ),
    (
        "cookies: no CSRF check",
        "crates/scopegate-tower/src/service.rs",
        "shared.csrf.check(request.method(), request.headers())",
        "crate::csrf::CookieCsrf::disabled().check(request.method(), request.headers())",
        ["-p", "scopegate-tower", "--test", "error_contract", "cookie_tokens"],
    ),
    (
        "dpop: the last second of the window not remembered",
        "crates/scopegate-core/src/dpop/mod.rs",
        "            .saturating_add(Duration::from_secs(1))\n",
        "",
        ["-p", "scopegate-tests", "--test", "suite", "redis_attacks::a_proof_is_remembered"],
    ),
    (
        "json: no cap on the members of a proof or JWK",
        "crates/scopegate-core/src/json/mod.rs",
        "    if others.len() >= MAX_OTHER_MEMBERS {",
        "    if false {",
        ["-p", "scopegate-core", "--lib", "objects_with_many_unused_members"],
    ),
    (
        "cookies: a WebSocket handshake counted as safe",
        "crates/scopegate-tower/src/csrf.rs",
        "        let upgrade = headers.contains_key(http::header::UPGRADE);",
        "        let upgrade = false;",
        ["-p", "scopegate-tower", "--lib", "csrf"],
    ),
    (
        "mcp: methods that name no object pass with any token",
        "crates/scopegate-mcp/src/service.rs",
        "    if call.is_session() {\n        return None;\n    }",
        "    if call.is_session() || call.target.is_none() {\n        return None;\n    }",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_rules::"],
    ),
    (
        "mcp: subscriptions and directory reads name nothing",
        "crates/scopegate-mcp/src/call.rs",
        "            | \"resources/subscribe\"\n",
        "",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_rules::"],
    ),
    (
        "mcp: resource URIs compared as spelled",
        "crates/scopegate-mcp/src/call.rs",
        "    crate::resource::normalize(uri, template).map_err(|_| {",
        "    let _ = template;\n    Ok::<_, ()>(uri.to_owned()).map_err(|_| {",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_rules::"],
    ),
    (
        "nonces: the MAC never checked",
        "crates/scopegate-core/src/dpop/nonce.rs",
        "        opened.then(|| u64::from_be_bytes(issued))",
        "        let _ = opened;\n        Some(u64::from_be_bytes(issued))",
        ["-p", "scopegate-core", "--lib", "nonce::tests::rotation_and_tampering"],
    ),
    (
        "mcp: list answers matched by the id as written",
        "crates/scopegate-mcp/src/service.rs",
        "            let Some(id) = canonical_id(id) else {",
        "            let Some(id) = Some(id.clone()) else {",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_rules::regression_lists"],
    ),
    (
        "mcp: a list answer that cannot be judged passed on",
        "crates/scopegate-mcp/src/service.rs",
        "            Judged::Other => {\n                return list_error(\"the server's list answer is not one this layer can filter\");\n            }",
        "            Judged::Other => json,",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_rules::a_list_answer_that_cannot"],
    ),
    (
        "mcp: stream resumption allowed",
        "crates/scopegate-mcp/src/service.rs",
        "        if request.method() == Method::GET && request.headers().contains_key(LAST_EVENT_ID) {",
        "        if false && request.headers().contains_key(LAST_EVENT_ID) {",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_rules::regression_lists"],
    ),
    (
        "mcp: the most specific resource rule alone decides",
        "crates/scopegate-mcp/src/service.rs",
        "        rules.into_iter().find_map(|rule| check(Some(rule), parts, NAMES))",
        "        rules.into_iter().take(1).find_map(|rule| check(Some(rule), parts, NAMES))",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_rules::every_rule_that_covers"],
    ),
    (
        "single flight: the slot freed after the outcome is sent",
        "crates/scopegate-core/src/flight.rs",
        "            drop(permit);\n            let _ = sender.send(Some(outcome));",
        "            let _ = sender.send(Some(outcome));\n            drop(permit);",
        ["-p", "scopegate-core", "--features", "remote", "--lib", "a_finished_call"],
    ),
    (
        "mcp: sessions not bound to their callers",
        "crates/scopegate-mcp/src/service.rs",
        "                .is_ok_and(|claims| config.sessions.owned_by(id, claims).is_some());",
        "                .is_ok();",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_rules::a_session_belongs"],
    ),
    (
        "mcp: ids owned by anyone with the same issuer",
        "crates/scopegate-mcp/src/owned.rs",
        "        (*owner == Owner::of(claims)).then(|| kept.clone())",
        "        (owner.issuer == Owner::of(claims).issuer).then(|| kept.clone())",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_tasks::"],
    ),
    (
        "mcp: a task reached without its tool's rule",
        "crates/scopegate-mcp/src/service.rs",
        "            return object(kind, &name)\n",
        "            return None.filter(|_: &Response<Bytes>| object(kind, &name).is_some())\n",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_tasks::a_task_belongs"],
    ),
    (
        "mcp: a JSON task handle never read",
        "crates/scopegate-mcp/src/tasks.rs",
        "                    let held = this.release(true);\n                    return Poll::Ready(",
        "                    let held = this.release(false);\n                    return Poll::Ready(",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_tasks::a_task_belongs"],
    ),
    (
        "mcp: tasks/list unfiltered",
        "crates/scopegate-mcp/src/service.rs",
        "                    return false;\n                };\n                created",
        "                    return true;\n                };\n                created",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_tasks::"],
    ),
    (
        "mcp: an anonymous GET or DELETE passes an optional bearer layer",
        "crates/scopegate-mcp/src/service.rs",
        "        if request.method() != Method::POST\n            && let Err(rejection)",
        "        if false\n            && let Err(rejection)",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_challenges::no_anonymous"],
    ),
    (
        "mcp: an anonymous call's 401 names only the first login's scopes",
        "crates/scopegate-mcp/src/service.rs",
        "                    Some(Ok(call)) => config.challenge_for(call),",
        "                    Some(Ok(_)) => config.challenge_scope.clone(),",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_challenges::an_anonymous_call"],
    ),
    (
        "mcp cors: a foreign origin passes",
        "crates/scopegate-mcp/src/cors.rs",
        "        if !allowed {",
        "        if false && !allowed {",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_browsers::"],
    ),
    (
        "mcp cors: any name starting with localhost is local",
        "crates/scopegate-mcp/src/cors.rs",
        "    matches!(host, \"localhost\" | \"127.0.0.1\" | \"[::1]\")",
        "    host.starts_with(\"localhost\") || matches!(host, \"127.0.0.1\" | \"[::1]\")",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_browsers::a_foreign"],
    ),
    (
        "mcp: a second caller handed the same id takes it",
        "crates/scopegate-mcp/src/owned.rs",
        "            Some(Some(false)) => {",
        "            Some(Some(false)) if false => {",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_tasks::tasks_list"],
    ),
    (
        "mcp: a task forgets the argument rules of its call",
        "crates/scopegate-mcp/src/tasks.rs",
        "        let argument_rules = config.argument_rules_met(call).into_iter().map(Arc::clone).collect();",
        "        let argument_rules = config.argument_rules_met(call).into_iter().map(Arc::clone).take(0).collect();",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_tasks::tasks_list"],
    ),
    (
        "mcp: one caller's ids push out everyone else's",
        "crates/scopegate-mcp/src/owned.rs",
        "        if mine.len() > self.per_owner\n",
        "        if mine.len() > usize::MAX\n",
        ["-p", "scopegate-mcp", "--lib", "owned::"],
    ),
    (
        "mcp: a list asked for without an id passes unfiltered",
        "crates/scopegate-mcp/src/service.rs",
        "            let Some(id) = call.id.as_ref().and_then(canonical_id) else {",
        "            let Some(id) = call.id.as_ref().and_then(canonical_id).or(Some(Value::Null)) else {",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_tasks::tasks_list"],
    ),
    (
        "dev authorization server: PKCE not checked",
        "crates/scopegate-testkit/src/dev_server/grants.rs",
        "    well_formed && computed == challenge",
        "    well_formed || computed == challenge",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_login::the_authorization_server_refuses"],
    ),
    (
        "dev authorization server: a code used twice",
        "crates/scopegate-testkit/src/dev_server/mod.rs",
        "            let code = lock(state).codes.take(&presented(\"code\"));",
        "            let code = lock(state).codes.take(&presented(\"code\"));\n            if let Some(kept) = &code { lock(state).codes.insert(presented(\"code\"), kept.clone()); }",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_login::"],
    ),
    (
        "dev authorization server: any redirect URI",
        "crates/scopegate-testkit/src/dev_server/mod.rs",
        "    if !client.redirect_uris.iter().any(|uri| uri == redirect_uri) {",
        "    if client.redirect_uris.is_empty() {",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_login::the_authorization_server_refuses"],
    ),
    (
        "dev authorization server: a metadata document naming another client",
        "crates/scopegate-testkit/src/dev_server/documents.rs",
        "    if document.get(\"client_id\").and_then(Value::as_str) != Some(client_id) {",
        "    if document.get(\"client_id\").and_then(Value::as_str).is_none() {",
        ["-p", "scopegate-tests", "--test", "suite", "mcp_login::a_client_known"],
    ),
    (
        "introspection: client_secret_post sends Basic",
        "crates/scopegate-core/src/remote/introspection/call.rs",
        "        ClientAuthentication::Post => {\n            form.append_pair(\"client_id\", client_id).append_pair(\"client_secret\", client_secret);",
        "        ClientAuthentication::Post => {\n            headers.insert(AUTHORIZATION, basic(client_id, client_secret));",
        ["-p", "scopegate-tests", "--test", "suite", "introspection::client_secret_post"],
    ),
    (
        "keys: the token cache survives a withdrawn key",
        "crates/scopegate-core/src/remote/keys.rs",
        "                    self.epoch.fetch_add(1, Ordering::AcqRel);",
        "                    let _ = &self.epoch;",
        ["-p", "scopegate-tests", "--test", "suite", "load_rotation::"],
    ),
    (
        "forwarding: the token goes to any origin",
        "crates/scopegate-tower/src/forward.rs",
        "            let allowed = origin.as_ref().is_some_and(|origin| self.origins.contains(origin));",
        "            let allowed = origin.is_some();",
        ["-p", "scopegate-tests", "--test", "suite", "downstream::a_redirect"],
    ),
    (
        "responder: guards answer with the default responder",
        "crates/scopegate-tower/src/context.rs",
        "        Some(context) => context.respond(rejection, required_scope),",
        "        Some(_) if false => unreachable!(),\n        Some(_) => DefaultResponder.respond(rejection, &ResponseContext::new(\"\").with_required_scope(required_scope)),",
        ["-p", "scopegate-tower", "--test", "error_contract", "custom"],
    ),
    (
        "claims: `jti` filed as the subject",
        "crates/scopegate-core/src/claims/payload.rs",
        "            \"jti\" => &mut self.jwt_id,",
        "            \"jti\" => &mut self.subject,",
        ["-p", "scopegate-core", "--lib", "flat_payload"],
    ),
    (
        "tenants: a new tenant's token is taken on another tenant's request",
        'crates/scopegate-core/src/verifier/tenants.rs',
        '        if !self.named_by(hint, tenant) {\n            return Err(self.untrusted());\n        }\n        self.admit(issuer)',
        '        if false {\n            return Err(self.untrusted());\n        }\n        self.admit(issuer)',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        "tenants: a known tenant's token is taken on another tenant's request",
        'crates/scopegate-core/src/verifier/tenants.rs',
        '        if !self.named_by(hint, &entry.tenant) {',
        '        if false {',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        "tenants: a request that names no tenant takes every tenant's token",
        'crates/scopegate-core/src/verifier/tenants.rs',
        '            None => self.any_request,',
        '            None => true,',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        "tenants: a cached token is a hit on another tenant's request",
        'crates/scopegate-core/src/verifier/mod.rs',
        '            && !(mark.is_live() && self.tenant_named(tenant, &mark.name))',
        '            && !mark.is_live()',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        'tenants: a cached token of an evicted tenant is still a hit',
        'crates/scopegate-core/src/verifier/mod.rs',
        '            && !(mark.is_live() && self.tenant_named(tenant, &mark.name))',
        '            && !self.tenant_named(tenant, &mark.name)',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        "tenants: eviction leaves the tenant's mark live",
        'crates/scopegate-core/src/verifier/tenants.rs',
        '        entry.set_live(false);\n        self.known.insert(issuer, ());',
        '        self.known.insert(issuer, ());',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        'tenants: forgetting a tenant leaves its mark live',
        'crates/scopegate-core/src/verifier/tenants.rs',
        '        if let Some((_, entry)) = self.live.remove(issuer) {\n            entry.set_live(false);\n        }',
        '        let _ = self.live.remove(issuer);',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        'tenants: the tenant claim (Entra tid) is not checked',
        'crates/scopegate-core/src/verifier/tenants.rs',
        '        let Some(name) = &self.tenant_claim else { return Ok(()) };',
        '        let Some(_name) = &self.tenant_claim else { return Ok(()) };\n        return Ok(());\n        let name = _name;',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        'tenants: every new tenant is admitted',
        'crates/scopegate-core/src/verifier/tenants.rs',
        '        if self.admission.try_admit() {',
        '        if self.admission.try_admit() || true {',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        'tenants: evicted tenants need admission to come back',
        'crates/scopegate-core/src/verifier/tenants.rs',
        '        if self.known.get(issuer).is_some() {\n            return Ok(());\n        }',
        '',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        'tenants: a failed tenant is fetched again at once',
        'crates/scopegate-core/src/verifier/tenants.rs',
        '        Self::leave_probation(&mut probation, issuer);\n        drop(probation);\n        self.remember(&issuer.into(), true);',
        '        Self::leave_probation(&mut probation, issuer);\n        drop(probation);',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        'tenants: a failure with no one waiting is not noticed',
        'crates/scopegate-core/src/verifier/tenants.rs',
        '            if entry.keys_failed() {',
        '            if false && entry.keys_failed() {',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        "tenants: the resolver's 'unknown' is not remembered",
        'crates/scopegate-core/src/verifier/tenants.rs',
        '            Ok(None) => {\n                self.remember(issuer, false);',
        '            Ok(None) => {',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        'tenants: the resolver is asked for requests that name no tenant',
        'crates/scopegate-core/src/verifier/tenants.rs',
        '            Source::Resolver(_) if hint.is_none() && !self.any_request => {',
        '            Source::Resolver(_) if false => {',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        'tenants: new tenants go live before a token verified',
        'crates/scopegate-core/src/verifier/tenants.rs',
        '        let entry = Self::put_on_probation(&mut probation, entry);\n        Ok(Lookup::Found(entry, true))',
        '        drop(probation);\n        let entry = Arc::new(entry);\n        entry.set_live(true);\n        self.live.insert(Arc::clone(&entry.issuer.issuer), Arc::clone(&entry));\n        Ok(Lookup::Found(entry, false))',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        'tenants: several open patterns may name the same tenant',
        'crates/scopegate-core/src/verifier/tenants.rs',
        '            TenantSource::Patterns(patterns) if !lists_apart(&patterns) => {',
        '            TenantSource::Patterns(patterns) if false && !lists_apart(&patterns) => {',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        'tenants: a shared discovery document naming {tenantid} is refused',
        'crates/scopegate-core/src/remote/discovery.rs',
        '        Some(Value::String(found)) if accepted.iter().any(|issuer| **issuer == **found) => {}',
        '        Some(Value::String(found)) if found == issuer => {}',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        "tenants: a tenant's document may send the verifier to another origin",
        'crates/scopegate-core/src/remote/metadata.rs',
        '        if self.confined {',
        '        if false && self.confined {',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        'tenants: the layer drops the tenant on DPoP requests',
        'crates/scopegate-tower/src/service.rs',
        '        .with_tenant(tenant.as_deref());',
        '        .with_tenant(None);',
        ["-p", "scopegate-tests", "--test", "suite", "tenants::"],
    ),
    (
        'tenants: the layer lets a request that names no tenant through',
        'crates/scopegate-tower/src/service.rs',
        '    from.tenant(request.uri(), request.headers()).map(Some).ok_or_else(no_tenant)',
        '    Ok(from.tenant(request.uri(), request.headers()))',
        ['-p', 'scopegate-tests', '--test', 'suite', 'examples::multi_tenant'],
    ),
    (
        'tenants: a host with more labels names a tenant',
        'crates/scopegate-tower/src/tenant.rs',
        "                if label.contains('.') {\n                    return None;\n                }",
        '',
        ['-p', 'scopegate-tower', '--lib', 'tenant'],
    ),
    (
        "tenants: Host and the URI's authority may disagree",
        'crates/scopegate-tower/src/tenant.rs',
        '                        if authority.is_some_and(|authority| !authority.eq_ignore_ascii_case(host))\n',
        '                        if false && authority.is_some_and(|authority| !authority.eq_ignore_ascii_case(host))\n',
        ['-p', 'scopegate-tower', '--lib', 'tenant'],
    ),
    (
        "tenants: a pattern's placeholder may be part of a segment",
        'crates/scopegate-core/src/verifier/tenant/pattern.rs',
        "                && prefix.ends_with('/')\n",
        '',
        ['-p', 'scopegate-core', '--features', 'remote', '--lib', 'tenant'],
    ),
    (
        'tenants: shared keys without a tenant claim',
        'crates/scopegate-core/src/verifier/tenant/pattern.rs',
        '        if self.shared_discovery.is_some() && self.tenant_claim.is_none() {',
        '        if false && self.shared_discovery.is_some() && self.tenant_claim.is_none() {',
        ['-p', 'scopegate-core', '--features', 'remote', '--lib', 'tenant'],
    ),
]


def run(args):
    result = subprocess.run(["cargo", "test", "-q", *args], cwd=ROOT, capture_output=True)
    return result.returncode


def main():
    words = sys.argv[1:]
    survived = []
    for name, path, fixed, broken, args in MUTATIONS:
        if words and not any(word in name for word in words):
            continue
        file = ROOT / path
        text = file.read_text()
        if text.count(fixed) != 1:
            print(f"?? {name}: the fixed code is not found once in {path}")
            survived.append(name)
            continue
        file.write_text(text.replace(fixed, broken))
        try:
            code = run(args)
        finally:
            file.write_text(text)
        verdict = "caught" if code != 0 else "SURVIVED"
        print(f"{verdict:8} {name}  ({' '.join(args)})")
        if code == 0:
            survived.append(name)
    if survived:
        print(f"\n{len(survived)} not caught: {survived}")
        sys.exit(1)


if __name__ == "__main__":
    main()
