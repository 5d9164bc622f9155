type Glued = scopegate_core::scope!("a" "b");

fn main() {}
