#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    scopegate_core::fuzz::revocation_record(data);
});
