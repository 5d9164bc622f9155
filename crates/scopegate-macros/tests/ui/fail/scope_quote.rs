type Quoted = scopegate_core::scope!(r#"orders"read"#);

fn main() {}
