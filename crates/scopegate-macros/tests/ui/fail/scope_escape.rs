type Tabbed = scopegate_core::scope!("orders\tread");

fn main() {}
