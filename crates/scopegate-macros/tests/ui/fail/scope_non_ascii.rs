type Accented = scopegate_core::scope!("ordérs.read");

fn main() {}
