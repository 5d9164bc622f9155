//! Token presets with the claim layout each identity provider documents, so a test mints a
//! Keycloak, Entra ID, Auth0, Okta, Cognito or Zitadel access token in one call.

use serde_json::{Map, Value, json};

use crate::token::TokenBuilder;

fn strings(values: &[&str]) -> Value {
    json!(values)
}

impl TokenBuilder {
    /// Keycloak: realm roles in `realm_access.roles`, one client's roles in
    /// `resource_access.<client>.roles` (call again for another client: the clients merge).
    pub fn keycloak_roles(self, realm_roles: &[&str], client: &str, client_roles: &[&str]) -> Self {
        let (_, claims) = self.parts();
        let mut access =
            claims.get("resource_access").and_then(Value::as_object).cloned().unwrap_or_default();
        access.insert(client.to_owned(), json!({ "roles": client_roles }));
        self.claim("realm_access", json!({ "roles": realm_roles }))
            .claim("resource_access", Value::Object(access))
    }

    /// Entra ID v2, delegated: `scp` as a space-separated string, `ver: "2.0"`, `tid`, `azp`.
    pub fn entra_delegated(self, tenant: &str, scopes: &[&str]) -> Self {
        self.without_claim("scope")
            .without_claim("client_id")
            .claim("scp", scopes.join(" "))
            .claim("ver", "2.0")
            .claim("tid", tenant)
            .claim("azp", "00000000-0000-0000-0000-00000000c11e")
    }

    /// Entra ID, application permissions: `roles` and no `scp`, `ver` as given (`"1.0"` or
    /// `"2.0"`).
    pub fn entra_app_roles(self, tenant: &str, version: &str, roles: &[&str]) -> Self {
        self.without_claim("scope")
            .without_claim("client_id")
            .claim("roles", strings(roles))
            .claim("ver", version)
            .claim("tid", tenant)
            .claim("appid", "00000000-0000-0000-0000-00000000c11e")
    }

    /// Auth0 with RBAC: `scope` plus `permissions`, and a namespaced roles claim.
    pub fn auth0_permissions(self, permissions: &[&str], roles: &[&str]) -> Self {
        self.claim("permissions", strings(permissions))
            .claim("https://example.com/roles", strings(roles))
            .claim("azp", "auth0-client")
    }

    /// Okta: `scp` as an array, `cid` for the client, `groups` as a custom claim.
    pub fn okta(self, scopes: &[&str], groups: &[&str]) -> Self {
        self.without_claim("scope")
            .without_claim("client_id")
            .claim("scp", strings(scopes))
            .claim("cid", "0oa-okta-client")
            .claim("groups", strings(groups))
    }

    /// AWS Cognito access token: no `aud`, `token_use: "access"`, `client_id`, `scope`,
    /// `cognito:groups`, `username`.
    pub fn cognito_access(self, app_client: &str, scopes: &[&str], groups: &[&str]) -> Self {
        self.without_claim("aud")
            .claim("token_use", "access")
            .claim("client_id", app_client)
            .claim("scope", scopes.join(" "))
            .claim("cognito:groups", strings(groups))
            .claim("username", "test-user")
    }

    /// Zitadel: project roles as `urn:zitadel:iam:org:project:roles`, an object whose keys are
    /// the roles and whose values map organisation ids to domains.
    pub fn zitadel_roles(self, roles: &[&str]) -> Self {
        let mut object = Map::new();
        for role in roles {
            object.insert((*role).to_owned(), json!({ "1234567890": "acme.zitadel.cloud" }));
        }
        self.claim("urn:zitadel:iam:org:project:roles", Value::Object(object))
    }
}
