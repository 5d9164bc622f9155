type Strong = scopegate_core::acr!("multi factor");

fn main() {}
