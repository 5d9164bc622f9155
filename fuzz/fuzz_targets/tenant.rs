#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    scopegate_core::fuzz::tenant_of(data);
    scopegate_tower::fuzz::tenant_from(data);
});
