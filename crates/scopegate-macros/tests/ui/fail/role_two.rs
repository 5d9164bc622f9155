type Two = scopegate_core::role!("operator", "admin");

fn main() {}
