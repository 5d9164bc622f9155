type Spaced = scopegate_core::scope!("orders read");

fn main() {}
