type Nothing = scopegate_core::scope!();

fn main() {}
