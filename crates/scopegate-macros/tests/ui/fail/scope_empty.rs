type Empty = scopegate_core::scope!("");

fn main() {}
