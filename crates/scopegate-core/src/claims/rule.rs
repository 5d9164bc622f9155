//! [`ClaimRule`]: a check of one claim against a fixed value, a path parameter of the request,
//! or a predicate. A missing claim always fails.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use super::{Claims, CustomClaims};
use crate::error::{Error, ErrorKind};
use crate::role::ClaimPath;

type Predicate = Arc<dyn Fn(&Value) -> bool + Send + Sync>;

#[derive(Clone)]
enum Check {
    Equals(Value),
    Contains(Value),
    EqualsParam(Arc<str>),
    Satisfies(Predicate),
}

/// A rule on one claim, for checks scopes cannot express: "`customer_id` equals the `{id}` in
/// the path", "`groups` contains `suppliers`", "`tenant` satisfies this predicate". Failing it
/// is `403` (`insufficient_scope` without `scope`), with a description that names the rule,
/// never the claim's value.
///
/// A rule cannot pass without its claim: the claim is looked up first, and a missing claim (or
/// a path parameter the route does not have) fails before any comparison or predicate runs.
/// `sub`, `client_id`, `azp`, `iss` and `jti` are found as well as custom claims.
///
/// ```
/// use scopegate_core::ClaimRule;
///
/// # let issuer = scopegate_testkit::TestIssuer::new();
/// # let token = issuer.token().subject("c-42").claim("groups", ["suppliers"]).sign();
/// # let claims = issuer.verifier().verify_now(&token).into_ready().unwrap()?;
/// let own_customer = ClaimRule::claim("sub")?.equals_path_param("customer_id").named("own-customer");
/// let supplier = ClaimRule::claim("groups")?.contains("suppliers");
/// let params = |name: &str| (name == "customer_id").then_some("c-42");
/// assert!(claims.check_rule(&own_customer, &params).is_ok());
/// assert!(claims.check_rule(&supplier, &params).is_ok());
/// let other = |name: &str| (name == "customer_id").then_some("c-7");
/// let error = claims.check_rule(&own_customer, &other).unwrap_err();
/// assert_eq!(error.message(), "the token does not satisfy the rule `own-customer`");
/// # Ok::<(), scopegate_core::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct ClaimRule {
    name: Arc<str>,
    path: ClaimPath,
    check: Check,
}

/// The claim a [`ClaimRule`] is about, before its check is chosen.
#[derive(Clone, Debug)]
#[must_use]
pub struct ClaimSelector {
    path: ClaimPath,
}

impl ClaimRule {
    /// Starts a rule on the claim at `path` (dotted: `org.id`; for names with dots use
    /// [`ClaimRule::claim_at`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`] for an empty path or segment.
    pub fn claim(path: &str) -> Result<ClaimSelector, Error> {
        Ok(ClaimSelector { path: ClaimPath::parse(path)? })
    }

    /// Starts a rule on the claim at `path`.
    pub fn claim_at(path: ClaimPath) -> ClaimSelector {
        ClaimSelector { path }
    }

    /// Renames the rule: the name clients see in the `403`'s description.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Arc::from(name.into());
        self
    }

    /// The rule's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The path parameter the rule compares with, if it is that kind of rule.
    pub fn path_param(&self) -> Option<&str> {
        match &self.check {
            Check::EqualsParam(param) => Some(param),
            _ => None,
        }
    }

    fn refuse(&self) -> Error {
        Error::new(
            ErrorKind::InsufficientClaims,
            format!("the token does not satisfy the rule `{}`", self.name),
        )
    }
}

impl ClaimSelector {
    fn rule(self, check: Check, what: &str) -> ClaimRule {
        let name = format!("{} {what}", self.path);
        ClaimRule { name: Arc::from(name), path: self.path, check }
    }

    /// The claim equals `value` (JSON equality: `"42"` is not `42`).
    pub fn equals(self, value: impl Into<Value>) -> ClaimRule {
        self.rule(Check::Equals(value.into()), "equals the required value")
    }

    /// The claim is an array holding `value`, or a space-separated string holding it as one
    /// of its words.
    pub fn contains(self, value: impl Into<Value>) -> ClaimRule {
        self.rule(Check::Contains(value.into()), "contains the required value")
    }

    /// The claim (a string, or an integer compared as its decimal form) equals the request's
    /// path parameter `name`.
    pub fn equals_path_param(self, name: &str) -> ClaimRule {
        let what = format!("equals path parameter `{name}`");
        self.rule(Check::EqualsParam(Arc::from(name)), &what)
    }

    /// `predicate` holds for the claim's value (called only when the claim is present).
    pub fn satisfies(
        self,
        predicate: impl Fn(&Value) -> bool + Send + Sync + 'static,
    ) -> ClaimRule {
        self.rule(Check::Satisfies(Arc::new(predicate)), "satisfies its predicate")
    }
}

impl Claims<CustomClaims> {
    /// The value of the claim at `path`: a custom claim, or `sub`, `client_id`, `azp`, `iss`,
    /// `jti`.
    pub fn claim_value(&self, path: &ClaimPath) -> Option<Value> {
        if let [name] = path.segments() {
            let registered = match &**name {
                "sub" => self.subject(),
                "client_id" => self.client_id(),
                "azp" => self.authorized_party(),
                "iss" => Some(self.issuer()),
                "jti" => self.jwt_id(),
                _ => None,
            };
            if let Some(value) = registered {
                return Some(Value::String(value.to_owned()));
            }
        }
        path.lookup(self.custom()).ok().flatten().cloned()
    }

    /// Checks `rule`; `params` gives the request's path parameters by name.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InsufficientClaims`] naming the rule: the claim is missing, has another
    /// type, or does not match; or the route has no such path parameter.
    pub fn check_rule<'p>(
        &self,
        rule: &ClaimRule,
        params: &dyn Fn(&str) -> Option<&'p str>,
    ) -> Result<(), Error> {
        let Some(value) = self.claim_value(&rule.path) else {
            tracing::debug!(rule = %rule.name, "claim rule failed: the claim is missing");
            return Err(rule.refuse());
        };
        let pass = match &rule.check {
            Check::Equals(expected) => value == *expected,
            Check::Contains(expected) => match (&value, expected) {
                (Value::Array(items), _) => items.contains(expected),
                (Value::String(words), Value::String(word)) => words.split(' ').any(|w| w == word),
                _ => false,
            },
            Check::EqualsParam(name) => match params(name) {
                None => {
                    tracing::error!(rule = %rule.name, param = %name, "claim rule names a path parameter the route does not have");
                    false
                }
                Some(param) => match &value {
                    Value::String(text) => text == param,
                    Value::Number(number) if number.is_i64() || number.is_u64() => {
                        number.to_string() == param
                    }
                    _ => false,
                },
            },
            Check::Satisfies(predicate) => predicate(&value),
        };
        if pass { Ok(()) } else { Err(rule.refuse()) }
    }
}

impl fmt::Debug for ClaimRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClaimRule").field("name", &self.name).finish_non_exhaustive()
    }
}
