//! Which address is the client's: the peer, or what trusted proxies forwarded.
//! (Being written.)

use std::net::IpAddr;

use ipnet::IpNet;

/// The client's address: `X-Forwarded-For` is believed only when the peer is a trusted proxy.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted_proxies: &[IpNet]) -> IpAddr {
    let _ = (forwarded_for, trusted_proxies);
    peer
}
