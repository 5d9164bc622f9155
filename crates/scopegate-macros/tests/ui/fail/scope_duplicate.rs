type Twice = scopegate_core::scope!("orders.read", "orders.write", "orders.read");

fn main() {}
