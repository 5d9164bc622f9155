type Number = scopegate_core::scope!(42);

fn main() {}
