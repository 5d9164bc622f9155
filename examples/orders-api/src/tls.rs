//! HTTPS for the orders API, from `SCOPEGATE_TLS_*` variables, with client certificates for
//! certificate-bound tokens (RFC 8705).
//!
//! | variable | effect |
//! |---|---|
//! | `SCOPEGATE_TLS_CERT`, `SCOPEGATE_TLS_KEY` | serve HTTPS with this certificate chain and private key (PEM files) |
//! | `SCOPEGATE_TLS_CLIENT_CA` | with the two above: ask clients for certificates signed by this CA (PEM file); tokens bound to a certificate (`cnf.x5t#S256`) then pass with it, and the metadata says `tls_client_certificate_bound_access_tokens` |
//!
//! ```
//! use std::collections::HashMap;
//!
//! let none = HashMap::<&str, String>::new();
//! assert!(orders_api::tls::tls_settings(|name| none.get(name).cloned()).is_none());
//! let half = HashMap::from([("SCOPEGATE_TLS_CERT", "server.crt".to_owned())]);
//! let error = orders_api::tls::tls_settings(|name| half.get(name).cloned()).unwrap().unwrap_err();
//! assert_eq!(error.to_string(), "SCOPEGATE_TLS_CERT and SCOPEGATE_TLS_KEY go together: set both");
//! ```

use scopegate::tls::TlsSettings;
use scopegate::{Error, ErrorKind};

/// The TLS settings the variables describe, or `None` when none is set (plain HTTP).
///
/// # Errors
///
/// When only one of the certificate and the key is set, `SCOPEGATE_TLS_CLIENT_CA` is set
/// without them, or a file cannot be read or parsed.
pub fn tls_settings(
    variable: impl Fn(&str) -> Option<String>,
) -> Option<Result<TlsSettings, Error>> {
    let config = |message: &str| Error::new(ErrorKind::InvalidConfiguration, message.to_owned());
    let client_ca = variable("SCOPEGATE_TLS_CLIENT_CA");
    let (certificate, key) = match (variable("SCOPEGATE_TLS_CERT"), variable("SCOPEGATE_TLS_KEY")) {
        (Some(certificate), Some(key)) => (certificate, key),
        (None, None) if client_ca.is_none() => return None,
        (None, None) => {
            return Some(Err(config(
                "SCOPEGATE_TLS_CLIENT_CA needs SCOPEGATE_TLS_CERT and SCOPEGATE_TLS_KEY",
            )));
        }
        _ => {
            return Some(Err(config(
                "SCOPEGATE_TLS_CERT and SCOPEGATE_TLS_KEY go together: set both",
            )));
        }
    };
    let settings = TlsSettings::from_pem_files(certificate, key);
    Some(match client_ca {
        None => settings,
        Some(path) => settings.and_then(|settings| {
            let ca = std::fs::read(&path).map_err(|error| {
                config(&format!("SCOPEGATE_TLS_CLIENT_CA ({path}) cannot be read: {error}"))
            })?;
            settings.request_client_certificates(ca)
        }),
    })
}
