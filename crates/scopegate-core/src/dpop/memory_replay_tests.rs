use super::*;

const TTL: u64 = 96_000;

/// Proof `n` of `key`. Keys that differ by a multiple of `SHARDS` share a shard.
fn proof(key: u64, n: u32) -> ProofId {
    let mut hash = [0u8; 32];
    hash[..8].copy_from_slice(&key.to_be_bytes());
    hash[8..12].copy_from_slice(&n.to_be_bytes());
    ProofId::from_parts(hash, key)
}

fn too_old(outcome: Result<bool, Error>) -> bool {
    matches!(outcome, Err(error) if error.kind() == ErrorKind::DpopProofReplayed)
}

/// The review's attack: a client fills its shard with proofs dated as far ahead as the
/// verifier allows. Forgetting them must not lock out another client of the same shard,
/// whose proofs are dated now.
#[test]
fn a_flood_dated_in_the_future_costs_only_the_flooder() {
    let store = InMemoryReplayStore::new(SHARDS * 8);
    let (flooder, honest) = (3, 3 + SHARDS as u64);
    let now_secs = 1_000;
    for n in 0..500 {
        let _ = store.remember(proof(flooder, n), now_secs + 5, TTL, 1_000);
    }
    assert!(store.forgotten() > 0);
    for n in 0..2 {
        assert_eq!(store.remember(proof(honest, n), now_secs, TTL, 2_000).ok(), Some(true), "{n}");
    }
    // The flooder's own proofs dated up to its forgotten ones are refused, by time.
    assert!(too_old(store.remember(proof(flooder, 9_999), now_secs + 5, TTL, 2_000)));
}

/// One key over its quota forgets its own oldest proofs and refuses replays of them by time;
/// other keys of the shard, even with older proofs, are untouched.
#[test]
fn a_key_over_its_quota_forgets_its_own_oldest() {
    let store = InMemoryReplayStore::new(SHARDS * 8); // 8 a shard, 2 a key
    let (busy, quiet) = (1, 1 + SHARDS as u64);
    assert!(store.remember(proof(quiet, 1), 90, TTL, 0).unwrap());
    assert!(store.remember(proof(busy, 1), 100, TTL, 0).unwrap());
    assert!(store.remember(proof(busy, 2), 101, TTL, 0).unwrap());
    assert!(store.remember(proof(busy, 3), 102, TTL, 0).unwrap());
    assert_eq!(store.forgotten(), 1);
    assert!(too_old(store.remember(proof(busy, 1), 100, TTL, 1)));
    assert!(!store.remember(proof(busy, 2), 101, TTL, 1).unwrap());
    assert!(!store.remember(proof(quiet, 1), 90, TTL, 1).unwrap());
    assert!(store.remember(proof(quiet, 2), 90, TTL, 1).unwrap());
}

/// A shard full of many keys' proofs forgets its oldest and raises only their keys'
/// watermarks.
#[test]
fn a_full_shard_raises_the_watermarks_of_the_keys_it_forgets() {
    let store = InMemoryReplayStore::new(SHARDS * 4); // 4 a shard, 1 a key
    let keys = [2, 2 + 16, 2 + 32, 2 + 48, 2 + 64];
    for (n, key) in keys.iter().take(4).enumerate() {
        assert!(store.remember(proof(*key, 1), 100 + n as u64, TTL, 0).unwrap());
    }
    assert!(store.remember(proof(keys[4], 1), 100, TTL, 0).unwrap());
    assert_eq!(store.forgotten(), 1);
    assert!(too_old(store.remember(proof(keys[0], 1), 100, TTL, 1)));
    // Another key's proof of the same second was never forgotten: still refused by memory.
    assert!(!store.remember(proof(keys[4], 1), 100, TTL, 1).unwrap());
    // A key whose proof was not forgotten is not refused by time.
    assert!(store.remember(proof(keys[1] + 80, 1), 100, TTL, 1).is_ok());
}

#[test]
fn a_flood_of_many_keys_never_lets_a_replay_through() {
    let store = InMemoryReplayStore::new(SHARDS * 8);
    let issued = |n: u32| 1_000 + u64::from(n / 10);
    // 3,000 proofs of 30 keys into one shard of 8, ten per second of `iat`.
    let key = |n: u32| u64::from(n % 30) * SHARDS as u64;
    let mut accepted = Vec::new();
    for n in 0..3_000u32 {
        match store.remember(proof(key(n), n), issued(n), u64::MAX / 2, 0) {
            Ok(true) => accepted.push(n),
            Err(error) if error.kind() == ErrorKind::DpopProofReplayed => {}
            other => panic!("proof {n}: {other:?}"),
        }
        if n % 101 == 0 {
            for &earlier in &accepted {
                let replayed =
                    store.remember(proof(key(earlier), earlier), issued(earlier), u64::MAX / 2, 0);
                assert!(!matches!(replayed, Ok(true)), "{earlier} replayed after {n}");
            }
        }
    }
    assert!(accepted.len() > 2_000, "{}", accepted.len());
    assert!(store.len() <= SHARDS * 8);
}

#[test]
fn expired_proofs_make_room_without_raising_a_watermark() {
    let store = InMemoryReplayStore::new(SHARDS);
    assert!(store.remember(proof(0, 1), 100, 1_000, 1_000).unwrap());
    // Same shard, no room, but the first has expired by then: room, nothing forgotten.
    assert!(store.remember(proof(16, 2), 90, 1_000, 3_000).unwrap());
    assert_eq!(store.forgotten(), 0);
    // An expired entry no longer counts as seen.
    assert!(store.remember(proof(0, 1), 100, 4_000, 5_000).unwrap());
    assert!(!store.remember(proof(0, 1), 100, 4_000, 5_000).unwrap());
}

#[test]
fn watermarks_end_when_no_proof_under_them_could_still_pass() {
    let store = InMemoryReplayStore::new(SHARDS * 4);
    assert!(store.remember(proof(5, 1), 100, TTL, 0).unwrap());
    assert!(store.remember(proof(5, 2), 101, TTL, 0).unwrap());
    assert!(too_old(store.remember(proof(5, 3), 100, TTL, 1)));
    // After the time to live, a proof of 100 is out of every replica's window anyway; the
    // store stops answering for it (the verifier's `iat` check refuses it first).
    assert!(store.remember(proof(5, 3), 100, TTL, TTL + 1).unwrap());
}

#[test]
fn key_states_are_bounded() {
    let store = InMemoryReplayStore::new(SHARDS); // 1 a shard, 1 a key, 2 key states
    for n in 0..50u32 {
        let key = u64::from(n) * SHARDS as u64;
        assert!(store.remember(proof(key, n), 100 + u64::from(n), TTL, 0).unwrap(), "{n}");
    }
    let shard = store.shards[0].lock().unwrap();
    assert!(shard.keys.len() <= 3, "{}", shard.keys.len());
    // Folded watermarks still refuse what was forgotten.
    assert_eq!(shard.watermark.map(|watermark| watermark >= 140), Some(true));
    drop(shard);
    assert!(too_old(store.remember(proof(0, 0), 100, TTL, 1)));
}
