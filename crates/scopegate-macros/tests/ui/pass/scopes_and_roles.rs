use scopegate_core::{ConstStr, ScopeList, role, scope};

type OrdersWrite = scope!("orders.write");
type Posts = scope!("read:posts", "write:posts", "delete:posts",);
type Operator = role!("operator");

fn main() {
    assert_eq!(<OrdersWrite as ScopeList>::SCOPES, ["orders.write"]);
    assert_eq!(<Posts as ScopeList>::SCOPES, ["read:posts", "write:posts", "delete:posts"]);
    assert_eq!(<Operator as ConstStr>::VALUE, "operator");
}

/// Escapes mean what they mean in Rust: this is `orders.read`.
const _: () = {
    fn same<T: 'static>() {}
    let _ = same::<scope!("orders\x2eread")>;
};
