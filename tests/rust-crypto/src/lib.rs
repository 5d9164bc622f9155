//! Known-answer tests for the signature backends; see `tests/backend.rs`.
