type Bytes = scopegate_core::scope!(b"orders.read");

fn main() {}
