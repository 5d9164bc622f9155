//! [`TrustedProxies`]: the addresses whose `Client-Cert` headers are believed.

use std::fmt;
use std::net::IpAddr;

use scopegate_core::{Error, ErrorKind};

/// A set of IP addresses and CIDR blocks (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1`). IPv4
/// addresses written as IPv6 (`::ffff:10.0.0.1`, what a dual-stack socket reports) match the
/// IPv4 blocks.
///
/// ```
/// use scopegate_tower::TrustedProxies;
///
/// let proxies = TrustedProxies::parse(["10.0.0.0/8", "::1"])?;
/// assert!(proxies.contains("10.200.0.1".parse().unwrap()));
/// assert!(proxies.contains("::ffff:10.0.0.1".parse().unwrap()));
/// assert!(proxies.contains("::1".parse().unwrap()));
/// assert!(!proxies.contains("11.0.0.1".parse().unwrap()));
/// assert!(TrustedProxies::parse(["10.0.0.0/33"]).is_err());
/// # Ok::<(), scopegate_core::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    blocks: Vec<(IpAddr, u8)>,
}

impl TrustedProxies {
    /// Reads `addresses`: each an IP address or `address/prefix`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`](scopegate_core::ErrorKind::InvalidConfiguration),
    /// naming the entry that does not parse, or whose prefix is longer than its address, or
    /// whose address has bits set past the prefix (`10.0.0.1/8`: a typo more often than not),
    /// or that trusts every address (`0.0.0.0/0`, `::/0`: then any client could name any
    /// certificate).
    pub fn parse<I, S>(addresses: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut blocks = Vec::new();
        for entry in addresses {
            let entry = entry.as_ref();
            let invalid = || {
                let message = format!("`{entry}` is not an IP address or CIDR block");
                Error::new(ErrorKind::InvalidConfiguration, message)
            };
            let (address, prefix) = match entry.split_once('/') {
                Some((address, prefix)) => {
                    (address, Some(prefix.parse::<u8>().map_err(|_| invalid())?))
                }
                None => (entry, None),
            };
            let address = canonical(address.parse::<IpAddr>().map_err(|_| invalid())?);
            let bits = if address.is_ipv4() { 32 } else { 128 };
            let prefix = prefix.unwrap_or(bits);
            if prefix > bits || masked(address, prefix) != address {
                return Err(invalid());
            }
            if prefix == 0 {
                let message = format!(
                    "`{entry}` trusts every address: any client could then name any certificate"
                );
                return Err(Error::new(ErrorKind::InvalidConfiguration, message));
            }
            blocks.push((address, prefix));
        }
        Ok(Self { blocks })
    }

    /// Whether `address` is in one of the blocks.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.blocks.iter().any(|&(block, prefix)| {
            block.is_ipv4() == address.is_ipv4() && masked(address, prefix) == block
        })
    }
}

impl fmt::Debug for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.blocks.iter().map(|(block, prefix)| format!("{block}/{prefix}")))
            .finish()
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// `address` with every bit past `prefix` cleared.
fn masked(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_match_by_prefix() {
        let proxies =
            TrustedProxies::parse(["192.168.1.0/24", "10.0.0.7", "fd00::/8", "8.0.0.0/7"]);
        let proxies = proxies.unwrap();
        for inside in ["192.168.1.255", "10.0.0.7", "fd12::1", "8.8.8.8", "9.255.0.1"] {
            assert!(proxies.contains(inside.parse().unwrap()), "{inside}");
        }
        assert!(!proxies.contains("fe80::1".parse().unwrap()));
        let narrow = TrustedProxies::parse(["192.168.1.0/24", "10.0.0.7"]).unwrap();
        for outside in ["192.168.2.1", "10.0.0.8", "::1", "::ffff:192.168.2.1"] {
            assert!(!narrow.contains(outside.parse().unwrap()), "{outside}");
        }
        assert!(narrow.contains("::ffff:192.168.1.9".parse().unwrap()));
        assert_eq!(format!("{narrow:?}"), r#"["192.168.1.0/24", "10.0.0.7/32"]"#);
    }

    #[test]
    fn bad_entries_are_named() {
        for bad in
            ["10.0.0.1/8", "10.0.0.0/33", "::/129", "localhost", "10.0.0.0/", "/8", "10.0.0.0/-1"]
        {
            let error = TrustedProxies::parse([bad]).unwrap_err();
            assert_eq!(error.message(), format!("`{bad}` is not an IP address or CIDR block"));
        }
        for everyone in ["0.0.0.0/0", "::/0"] {
            let error = TrustedProxies::parse([everyone]).unwrap_err();
            let expected = format!(
                "`{everyone}` trusts every address: any client could then name any certificate"
            );
            assert_eq!(error.message(), expected);
        }
    }
}
