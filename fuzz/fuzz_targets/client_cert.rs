#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = scopegate_tower::fuzz::client_cert(data);
});
