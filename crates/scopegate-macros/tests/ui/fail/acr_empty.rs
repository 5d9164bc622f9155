type Nothing = scopegate_core::acr!();

fn main() {}
