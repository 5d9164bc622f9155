type Many = scopegate_core::scope!("a", "b", "c", "d", "e", "f", "g", "h", "i");

fn main() {}
