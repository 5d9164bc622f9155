type Slashed = scopegate_core::scope!(r"orders\read");

fn main() {}
