type Nobody = scopegate_core::role!("");

fn main() {}
