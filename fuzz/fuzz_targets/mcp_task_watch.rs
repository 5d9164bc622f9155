#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scopegate_mcp::fuzz::task_watch(data));
