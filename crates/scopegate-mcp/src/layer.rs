//! [`McpScopeLayer`] and its service [`McpScope`].

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use scopegate_core::{Error, ErrorKind};
use scopegate_tower::AccessRule;
use serde_json::{Map, Value};
use tower_layer::Layer;

use crate::call::{McpCall, Target};
use crate::owned::OwnedIds;
use crate::resource::Pattern;
use crate::service::McpScope;

/// The largest JSON-RPC body read, unless [`McpScopeLayer::max_body_bytes`] says otherwise.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

pub(crate) type Rule = Arc<dyn AccessRule>;

/// When a tool's arguments call for one more rule.
pub(crate) type Condition = Arc<dyn Fn(&Map<String, Value>) -> bool + Send + Sync>;

/// What happens to a tool, resource or prompt with no rule of its own.
#[derive(Clone)]
pub(crate) enum Unmapped {
    Deny,
    Require(Rule),
}

#[derive(Clone)]
pub(crate) struct Config {
    /// Tools and prompts, by name.
    pub(crate) rules: HashMap<(Target, String), Rule>,
    /// Resources, by pattern; the most specific pattern that covers a URI decides.
    pub(crate) resources: Vec<(Pattern, Rule)>,
    /// Methods that name no object and are not session methods (`tasks/get`, a server's own).
    pub(crate) methods: HashMap<String, Rule>,
    /// Rules a tool's call must pass on top of its own when its arguments meet a condition.
    pub(crate) argument_rules: HashMap<String, Vec<(Condition, Rule)>>,
    pub(crate) unmapped: Unmapped,
    pub(crate) max_body_bytes: usize,
    /// The scopes a `401` names when the request names nothing with a rule.
    pub(crate) challenge_scope: Option<String>,
    /// The sessions begun through this layer, and by whom (shared by its clones).
    pub(crate) sessions: Arc<OwnedIds<()>>,
    /// The tasks created through this layer: by whom, and what the task runs.
    pub(crate) tasks: Arc<OwnedIds<crate::tasks::Created>>,
}

impl Config {
    /// The rule for an object without one of its own: `otherwise`'s, or none (refused).
    pub(crate) fn unmapped_rule(&self) -> Option<&Rule> {
        match &self.unmapped {
            Unmapped::Require(rule) => Some(rule),
            Unmapped::Deny => None,
        }
    }

    /// The rules an object must pass: its own (for a resource, every rule that covers it), or
    /// else the default; empty when the object is refused.
    pub(crate) fn object_rules(&self, kind: Target, name: &str) -> Vec<&Rule> {
        let own = match kind {
            Target::Resource => self.resource_rules(name),
            _ => self.rules.get(&(kind, name.to_owned())).into_iter().collect(),
        };
        if own.is_empty() { self.unmapped_rule().into_iter().collect() } else { own }
    }

    /// Every rule this layer holds.
    fn all_rules(&self) -> impl Iterator<Item = &Rule> {
        let arguments = self.argument_rules.values().flatten().map(|(_, rule)| rule);
        self.rules
            .values()
            .chain(self.resources.iter().map(|(_, rule)| rule))
            .chain(self.methods.values())
            .chain(arguments)
            .chain(self.unmapped_rule())
    }

    /// The rules a `tools/call`'s arguments call for on top of the tool's own ([`tool_if`]
    /// conditions that hold; missing arguments are read as none); none for other calls.
    ///
    /// [`tool_if`]: McpScopeLayer::tool_if
    pub(crate) fn argument_rules_met(&self, call: &McpCall) -> Vec<&Rule> {
        let Some((Target::Tool, tool)) = &call.target else { return Vec::new() };
        let none = Map::new();
        let arguments = call.arguments.as_ref().unwrap_or(&none);
        let conditional = self.argument_rules.get(tool).into_iter().flatten();
        conditional.filter(|(condition, _)| condition(arguments)).map(|(_, rule)| rule).collect()
    }

    /// The scopes the `401` of an anonymous `call` names: those its object's rules require
    /// (with the argument rules its arguments meet), or else the challenge scope.
    pub(crate) fn challenge_for(&self, call: &McpCall) -> Option<String> {
        let mut rules: Vec<&Rule> = Vec::new();
        for uri in &call.subscriptions {
            rules.extend(self.object_rules(Target::Resource, uri));
        }
        match &call.target {
            Some((Target::Task, _)) | None => {}
            Some((kind, name)) => rules.extend(self.object_rules(*kind, name)),
        }
        rules.extend(self.argument_rules_met(call));
        let scopes = scopes_of(rules.into_iter());
        if scopes.is_empty() { self.challenge_scope.clone() } else { Some(scopes.join(" ")) }
    }

    /// Every rule whose pattern covers the normalised `uri`, the most specific first (so that a
    /// refusal names the most specific scopes): all of them must pass.
    pub(crate) fn resource_rules(&self, uri: &str) -> Vec<&Rule> {
        let mut covering: Vec<_> =
            self.resources.iter().filter(|(pattern, _)| pattern.covers(uri)).collect();
        covering.sort_by_key(|(pattern, _)| std::cmp::Reverse(pattern.rank()));
        covering.into_iter().map(|(_, rule)| rule).collect()
    }
}

/// Requires scopes (or any [`AccessRule`]) per MCP tool, resource and prompt, on the
/// streamable HTTP transport. Install it after
/// [`BearerAuthLayer`](scopegate_tower::BearerAuthLayer): the layer authenticates every
/// request, this one authorizes what a `POST` asks for. With the bearer layer
/// [`optional`](scopegate_tower::BearerAuthLayer::optional), this layer refuses anonymous
/// requests itself, and the `401` names the scopes the call needs (or the
/// [`challenge_scope`](Self::challenge_scope) when it names nothing with a rule; anonymous
/// bodies are read to 64 KiB at most).
///
/// For each `POST` it reads the JSON-RPC body (at most 1 MiB by default: `413` beyond, nested
/// at most 64 deep, repeated member names refused) and hands it on unchanged. Nothing passes
/// by default:
///
/// - every method that names an object is checked against that object's rule: `tools/call`
///   (the tool), `prompts/get` (the prompt), `resources/read`, `resources/subscribe`,
///   `resources/unsubscribe` (the resource), `completion/complete` (the prompt or resource
///   template its `ref` names). An object without a rule is refused (`403`) unless
///   [`otherwise`](Self::otherwise) gives a default;
/// - a task (`tasks/get`, `tasks/result`, `tasks/update`, `tasks/cancel` by `taskId`) belongs
///   to the caller whose `tools/call` created it, and is reached only by that caller (issuer
///   and subject, or client), with a token that still passes the tool's rule; any other task
///   id gets MCP's answer for an unknown task (`-32602`, the same whether it exists). The
///   layer learns the owner by watching each `tools/call` answer for a task handle before the
///   client has it; the rules the call's arguments called for ([`tool_if`](Self::tool_if))
///   apply to the task again. An id the server hands to a second caller becomes no one's. At
///   most 100,000 tasks are remembered (1,000 per owner: one caller cannot push out
///   another's), in this process (a task created through another replica is not found here:
///   route its polling by `Mcp-Name`, or serve tasks from one replica). A
///   [`method`](Self::method) rule for a `tasks/` method applies on top;
/// - the [session methods](crate::SESSION_METHODS) (`initialize`, `ping`, the `*/list`
///   methods, `logging/setLevel`), notifications and JSON-RPC responses need only a valid
///   token;
/// - any other method (a server's own) is refused unless [`method`](Self::method) maps it to
///   a rule.
///
/// Resource rules match the normalised URI ([`normalize_resource_uri`](crate::normalize_resource_uri):
/// one spelling per resource; dot segments, encoded slashes and other ambiguous spellings
/// refused with `400`), exactly, by RFC 6570 template or by prefix (ending at a `/`, `?` or
/// `#`). Every rule that covers a URI must pass, so a broad rule can never open what a
/// specific one guards; a refusal names the most specific failing rule's scopes.
///
/// On a stateful server, a session belongs to the token that began it (issuer and subject, or
/// client): a request naming another caller's `Mcp-Session-Id`, or one this layer never saw
/// begin, is `404` (session not found; the client initializes again). At most 100,000
/// sessions are remembered (1,000 per owner), the oldest forgotten first.
///
/// `Mcp-Method` and `Mcp-Name` are required from protocol revision 2026-07-28 on, and must
/// agree with the body whenever sent; a batch, a body that is not JSON-RPC, or a disagreeing
/// header is `400` with a JSON-RPC error.
///
/// The answers to `tools/list`, `prompts/list`, `resources/list`,
/// `resources/templates/list` and `tasks/list` (JSON, or an event stream read up to the
/// answer; at most 8 MiB, `502` beyond) keep only the entries whose rule the caller passes
/// (for tasks: the caller's own), and are marked `cacheScope: private`. Every request is marked
/// [`NoTokenPassthrough`](scopegate_tower::NoTokenPassthrough): a tool cannot forward its
/// client's token as it is.
///
/// Rules use each token's issuer's scope policy, so a hierarchical policy lets `orders` grant
/// a tool that requires `orders:read`. A refused call gets the standard `403
/// insufficient_scope` challenge naming the rule's scopes, with `resource_metadata` when the
/// verifier guards a protected resource.
///
/// ```
/// use scopegate_core::{RoleRequirement, ScopeRequirement};
/// use scopegate_mcp::McpScopeLayer;
///
/// let tools = McpScopeLayer::new()
///     .tool("list_orders", ScopeRequirement::all_of(["orders.read"])?)
///     .tool("create_order", ScopeRequirement::all_of(["orders.write"])?)
///     .tool(
///         "approve_order",
///         (ScopeRequirement::all_of(["orders.approve"])?, RoleRequirement::new("operator")),
///     )
///     .resource("orders://catalog", ScopeRequirement::all_of(["orders.read"])?)?
///     .resource_template("orders://orders/{id}", ScopeRequirement::all_of(["orders.read"])?)?
///     .method("orders/export", ScopeRequirement::all_of(["orders.export"])?);
/// # let _ = tools;
/// # Ok::<(), scopegate_core::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct McpScopeLayer {
    config: Arc<Config>,
}

impl Default for McpScopeLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl McpScopeLayer {
    /// No rules yet: every named tool, resource and prompt is refused.
    pub fn new() -> Self {
        Self {
            config: Arc::new(Config {
                rules: HashMap::new(),
                resources: Vec::new(),
                methods: HashMap::new(),
                argument_rules: HashMap::new(),
                unmapped: Unmapped::Deny,
                max_body_bytes: DEFAULT_MAX_BODY_BYTES,
                challenge_scope: None,
                sessions: Arc::new(OwnedIds::new(crate::owned::MAX_SESSIONS)),
                tasks: Arc::new(OwnedIds::new(crate::tasks::MAX_TASKS)),
            }),
        }
    }

    fn with(self, change: impl FnOnce(&mut Config)) -> Self {
        let mut config = Arc::unwrap_or_clone(self.config);
        change(&mut config);
        Self { config: Arc::new(config) }
    }

    fn rule(self, target: Target, name: impl Into<String>, rule: impl AccessRule) -> Self {
        let (name, rule): (String, Rule) = (name.into(), Arc::new(rule));
        self.with(|config| {
            config.rules.insert((target, name), rule);
        })
    }

    /// The rule for the tool `name` (`tools/call`).
    pub fn tool(self, name: impl Into<String>, rule: impl AccessRule) -> Self {
        self.rule(Target::Tool, name, rule)
    }

    fn resource_pattern(
        self,
        pattern: Result<Pattern, crate::UriError>,
        rule: impl AccessRule,
    ) -> Result<Self, Error> {
        let pattern = pattern.map_err(|error| {
            Error::new(ErrorKind::InvalidConfiguration, format!("an MCP resource rule: {error}"))
        })?;
        let rule: Rule = Arc::new(rule);
        Ok(self.with(|config| {
            config.resources.retain(|(existing, _)| *existing != pattern);
            config.resources.push((pattern, rule));
        }))
    }

    /// The rule for the resource `uri` (read, subscribed to, completed), compared after
    /// normalisation.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`] when `uri` is not a URI (see
    /// [`normalize_resource_uri`](crate::normalize_resource_uri)).
    pub fn resource(self, uri: &str, rule: impl AccessRule) -> Result<Self, Error> {
        self.resource_pattern(Pattern::exact(uri), rule)
    }

    /// The rule for every resource an RFC 6570 template covers: `{name}` stands for one path
    /// segment (no `/`, `?` or `#`), `{+name}` for any non-empty text. `completion/complete`
    /// of the template itself falls under it too.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`] for a malformed template.
    pub fn resource_template(self, template: &str, rule: impl AccessRule) -> Result<Self, Error> {
        self.resource_pattern(Pattern::template(template), rule)
    }

    /// The rule for every resource whose normalised URI starts with `prefix`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`] when `prefix` is not a URI prefix.
    pub fn resource_prefix(self, prefix: &str, rule: impl AccessRule) -> Result<Self, Error> {
        self.resource_pattern(Pattern::prefix(prefix), rule)
    }

    /// The rule for `method`, a method that names no tool, resource or prompt and is not a
    /// session method: a server's own. For the methods that name a task (`tasks/get`, ...),
    /// the rule applies on top of the task's own checks (its creator, the tool's rule).
    pub fn method(self, method: impl Into<String>, rule: impl AccessRule) -> Self {
        let (method, rule): (String, Rule) = (method.into(), Arc::new(rule));
        self.with(|config| {
            config.methods.insert(method, rule);
        })
    }

    /// One more rule for calls of the tool `name` whose arguments meet `condition`, on top of
    /// the tool's own (which must exist, or the call is refused anyway): a refund over 100
    /// needs a second scope. A refused call's `403` names this rule's scopes, so a client
    /// asks for exactly what it lacks. Lists show the tool by its own rule alone.
    ///
    /// ```
    /// use scopegate_core::ScopeRequirement;
    /// use scopegate_mcp::McpScopeLayer;
    ///
    /// let tools = McpScopeLayer::new()
    ///     .tool("refund", ScopeRequirement::all_of(["orders.write"])?)
    ///     .tool_if(
    ///         "refund",
    ///         |arguments| arguments.get("amount").and_then(|amount| amount.as_f64()).is_none_or(|amount| amount > 100.0),
    ///         ScopeRequirement::all_of(["orders.approve"])?,
    ///     );
    /// # let _ = tools;
    /// # Ok::<(), scopegate_core::Error>(())
    /// ```
    ///
    /// Write the condition to hold when the argument is missing or of another type, as above:
    /// the tool may read it differently from the condition.
    pub fn tool_if(
        self,
        name: impl Into<String>,
        condition: impl Fn(&Map<String, Value>) -> bool + Send + Sync + 'static,
        rule: impl AccessRule,
    ) -> Self {
        let (name, condition, rule): (String, Condition, Rule) =
            (name.into(), Arc::new(condition), Arc::new(rule));
        self.with(|config| config.argument_rules.entry(name).or_default().push((condition, rule)))
    }

    /// The rule for the prompt `name` (`prompts/get`).
    pub fn prompt(self, name: impl Into<String>, rule: impl AccessRule) -> Self {
        self.rule(Target::Prompt, name, rule)
    }

    /// The rule for tools, resources and prompts without one of their own. Without this call
    /// they are refused: a tool added to the server but forgotten here is not open to every
    /// token.
    pub fn otherwise(self, rule: impl AccessRule) -> Self {
        let rule: Rule = Arc::new(rule);
        self.with(|config| config.unmapped = Unmapped::Require(rule))
    }

    /// The scopes a `401` names when the request names no tool, resource or prompt with a
    /// rule (`initialize`, the lists, a `GET` of the event stream): the scopes a client should
    /// ask for at its first login, e.g. the read scopes. Unset, such a `401` names none, and a
    /// client asks for whatever the metadata lists. `offline_access` is never named.
    pub fn challenge_scope(self, scopes: impl Into<String>) -> Self {
        let scopes = scopes.into();
        self.with(|config| config.challenge_scope = Some(scopes))
    }

    /// Every scope the rules require, sorted, for the `scopes_supported` of the RFC 9728
    /// document: declared once, here, so that the metadata cannot drift from what is enforced
    /// (`offline_access` left out, as MCP asks).
    ///
    /// ```
    /// use scopegate_core::ScopeRequirement;
    /// use scopegate_mcp::McpScopeLayer;
    ///
    /// let rules = McpScopeLayer::new()
    ///     .tool("list_orders", ScopeRequirement::all_of(["orders.read"])?)
    ///     .tool("create_order", ScopeRequirement::all_of(["orders.write", "orders.read"])?);
    /// assert_eq!(rules.scopes_supported(), ["orders.read", "orders.write"]);
    /// # Ok::<(), scopegate_core::Error>(())
    /// ```
    pub fn scopes_supported(&self) -> Vec<String> {
        let challenge =
            self.config.challenge_scope.iter().flat_map(|scopes| scopes.split_whitespace());
        let mut scopes: Vec<String> = scopes_of(self.config.all_rules());
        scopes.extend(challenge.filter(|scope| *scope != OFFLINE_ACCESS).map(str::to_owned));
        scopes.sort();
        scopes.dedup();
        scopes
    }

    /// The largest body read. Defaults to 1 MiB.
    pub fn max_body_bytes(self, bytes: usize) -> Self {
        self.with(|config| config.max_body_bytes = bytes)
    }
}

/// `offline_access`: a client's wish for refresh tokens, never a resource's requirement.
const OFFLINE_ACCESS: &str = "offline_access";

/// The scopes `rules` require, each once, in order, without `offline_access`.
fn scopes_of<'a>(rules: impl Iterator<Item = &'a Rule>) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for required in rules.filter_map(|rule| rule.required_scope()) {
        for scope in required.split_whitespace().filter(|scope| *scope != OFFLINE_ACCESS) {
            if !scopes.iter().any(|known| known == scope) {
                scopes.push(scope.to_owned());
            }
        }
    }
    scopes
}

impl fmt::Debug for McpScopeLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<_> = self.config.rules.keys().collect();
        names.sort();
        let resources: Vec<_> = self.config.resources.iter().map(|(pattern, _)| pattern).collect();
        let mut methods: Vec<_> = self.config.methods.keys().collect();
        methods.sort();
        f.debug_struct("McpScopeLayer")
            .field("rules", &names)
            .field("resources", &resources)
            .field("methods", &methods)
            .field("max_body_bytes", &self.config.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for McpScopeLayer {
    type Service = McpScope<S>;

    fn layer(&self, inner: S) -> McpScope<S> {
        McpScope::new(inner, Arc::clone(&self.config))
    }
}
