//! Which address is the client's: the peer, or what trusted proxies forwarded.
//!
//! Every proxy appends the address it received a request from to `X-Forwarded-For`, so
//! only the right end of the list is written by infrastructure we control; everything to
//! its left is whatever the client chose to send. The walk therefore starts at the peer,
//! moves right to left while the hops are trusted proxies, and stops at the first address
//! that is not one: that is the client. A client that connects directly and sends its own
//! header is not a trusted proxy, so its header is never read. The resolved address feeds
//! rate limiting and geolocation.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use ipnet::IpNet;

/// How much of the end of `X-Forwarded-For` is examined, in bytes: room for dozens of
/// hops, while a 1 MB header costs no more than a short one.
const MAX_EXAMINED_BYTES: usize = 2048;

/// The client's address: `X-Forwarded-For` is believed only when the peer is a trusted proxy.
///
/// - `peer` is the address of the TCP connection;
/// - `forwarded_for` is the `X-Forwarded-For` value (several header lines joined with `,`);
/// - `trusted_proxies` are the networks of the load balancers and proxies in front of the
///   server (empty: forwarding headers are ignored).
///
/// When the peer is trusted, the header is walked from the right, skipping trusted hops;
/// the first untrusted address is the client. An entry that is not an address (`unknown`,
/// an RFC 7239 obfuscated name, garbage, an empty entry) ends the walk, and so does the end
/// of the list or of the examined tail: the result is then the last trusted hop seen, which
/// is the peer itself when no hop was read. Entries may carry a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`). IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) are returned, and
/// matched against `trusted_proxies`, as IPv4.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted_proxies: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted_proxies.iter().any(|proxy| proxy.contains(&ip));
    let peer = peer.to_canonical();
    let Some(header) = forwarded_for.filter(|_| is_trusted(peer)) else {
        return peer;
    };
    let mut last_trusted = peer;
    for hop in examined_tail(header).rsplit(',') {
        let Some(ip) = parse_hop(hop) else {
            break;
        };
        if !is_trusted(ip) {
            return ip;
        }
        last_trusted = ip;
    }
    last_trusted
}

/// The last [`MAX_EXAMINED_BYTES`] of `header`, starting after a comma so that the walk
/// never reads the cut-off end of an address (`11.2.3.4` read as `1.2.3.4`).
fn examined_tail(header: &str) -> &str {
    if header.len() <= MAX_EXAMINED_BYTES {
        return header;
    }
    let mut start = header.len() - MAX_EXAMINED_BYTES;
    while !header.is_char_boundary(start) {
        start += 1;
    }
    let window = &header[start..];
    window.find(',').map_or("", |comma| &window[comma + 1..])
}

/// One `X-Forwarded-For` entry as an address, with any port and brackets removed.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim_matches([' ', '\t']);
    let ip = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .or_else(|| bracketed_ipv6(hop))?;
    Some(ip.to_canonical())
}

/// `[2001:db8::1]` without a port.
fn bracketed_ipv6(hop: &str) -> Option<IpAddr> {
    let inner = hop.strip_prefix('[')?.strip_suffix(']')?;
    inner.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOAD_BALANCER: &str = "10.0.0.5";
    const CLIENT: &str = "203.0.113.7";

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }

    fn proxies() -> Vec<IpNet> {
        ["10.0.0.0/8", "2001:db8:cafe::/48"].iter().map(|net| net.parse().expect("test net")).collect()
    }

    /// The client address seen through the load balancer with this header.
    fn behind_proxy(forwarded_for: &str) -> IpAddr {
        client_ip(ip(LOAD_BALANCER), Some(forwarded_for), &proxies())
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        assert_eq!(client_ip(ip(CLIENT), None, &[]), ip(CLIENT));
        assert_eq!(client_ip(ip(LOAD_BALANCER), Some("198.51.100.1"), &[]), ip(LOAD_BALANCER));
    }

    #[test]
    fn a_client_sending_its_own_header_directly_is_ignored() {
        assert_eq!(client_ip(ip(CLIENT), Some("198.51.100.1"), &proxies()), ip(CLIENT));
        assert_eq!(client_ip(ip(CLIENT), Some("10.0.0.9, 198.51.100.1"), &proxies()), ip(CLIENT));
    }

    #[test]
    fn a_trusted_peer_without_header_is_the_client() {
        assert_eq!(client_ip(ip(LOAD_BALANCER), None, &proxies()), ip(LOAD_BALANCER));
    }

    #[test]
    fn the_first_untrusted_hop_from_the_right_is_the_client() {
        assert_eq!(behind_proxy(CLIENT), ip(CLIENT));
        // The client prepended a fake address; the proxies appended the real ones.
        assert_eq!(behind_proxy("1.1.1.1, 203.0.113.7, 10.1.2.3"), ip(CLIENT));
        assert_eq!(behind_proxy("1.1.1.1,203.0.113.7,10.1.2.3,10.0.0.1"), ip(CLIENT));
        assert_eq!(behind_proxy("2001:db8::7, 2001:db8:cafe::1"), ip("2001:db8::7"));
    }

    #[test]
    fn when_every_hop_is_trusted_the_leftmost_is_the_client() {
        assert_eq!(behind_proxy("10.9.9.9, 10.1.2.3"), ip("10.9.9.9"));
    }

    #[test]
    fn ports_and_brackets_are_removed() {
        assert_eq!(behind_proxy("203.0.113.7:5678"), ip(CLIENT));
        assert_eq!(behind_proxy("[2001:db8::7]:80"), ip("2001:db8::7"));
        assert_eq!(behind_proxy("[2001:db8::7]"), ip("2001:db8::7"));
        assert_eq!(behind_proxy("\t203.0.113.7 "), ip(CLIENT));
    }

    #[test]
    fn malformed_entries_stop_the_walk_at_the_last_trusted_hop() {
        assert_eq!(behind_proxy("203.0.113.7, unknown, 10.1.2.3"), ip("10.1.2.3"));
        assert_eq!(behind_proxy("203.0.113.7, _hidden"), ip(LOAD_BALANCER));
        for garbage in ["", ",", "not-an-ip", "203.0.113.7,", "1.2.3.4.5", "01.2.3.4", "1.2.3.4:99999"] {
            assert_eq!(behind_proxy(garbage), ip(LOAD_BALANCER), "{garbage:?}");
        }
        for garbage in ["[::1", "::1]", "[203.0.113.7]", "<script>", "203.0.113.7%0a", "é"] {
            assert_eq!(behind_proxy(garbage), ip(LOAD_BALANCER), "{garbage:?}");
        }
    }

    #[test]
    fn ipv4_mapped_addresses_are_normalised() {
        assert_eq!(behind_proxy("::ffff:203.0.113.7"), ip(CLIENT));
        assert_eq!(behind_proxy("[::ffff:203.0.113.7]:443"), ip(CLIENT));
        // A mapped peer inside an IPv4 proxy range is trusted.
        let mapped_peer = ip("::ffff:10.0.0.5");
        assert_eq!(client_ip(mapped_peer, Some(CLIENT), &proxies()), ip(CLIENT));
        assert_eq!(client_ip(ip("::ffff:203.0.113.7"), None, &[]), ip(CLIENT));
        // A mapped hop inside a proxy range is skipped like its IPv4 form.
        assert_eq!(behind_proxy("203.0.113.7, ::ffff:10.1.1.1"), ip(CLIENT));
    }

    #[test]
    fn a_megabyte_header_is_walked_from_its_end_only() {
        let spoofed = "198.51.100.1, ".repeat(80_000);
        assert!(spoofed.len() > 1 << 20);
        assert_eq!(behind_proxy(&format!("{spoofed}{CLIENT}, 10.1.2.3")), ip(CLIENT));
        assert_eq!(behind_proxy(&"9".repeat(1 << 20)), ip(LOAD_BALANCER));
        let trusted_hops = "10.1.1.1,".repeat(120_000);
        assert_eq!(behind_proxy(&format!("{CLIENT},{trusted_hops}10.2.2.2")), ip("10.1.1.1"));
    }

    #[test]
    fn the_cut_never_produces_a_truncated_address() {
        // Put the cut exactly after the first character of "11.2.3.4".
        let trusted_hops = ", 10.0.0.1".repeat(MAX_EXAMINED_BYTES / 10);
        let padding = " ".repeat(MAX_EXAMINED_BYTES - trusted_hops.len() - "1.2.3.4".len());
        let header = format!("{}11.2.3.4{padding}{trusted_hops}", "x".repeat(100));
        let cut = header.len() - MAX_EXAMINED_BYTES;
        assert!(header[cut..].starts_with("1.2.3.4 ,"), "the test places the cut mid-address");
        assert_eq!(behind_proxy(&header), ip("10.0.0.1"));
    }

    #[test]
    fn a_cut_inside_a_multibyte_character_does_not_panic() {
        let header = format!("{}, {CLIENT}", "é".repeat(MAX_EXAMINED_BYTES));
        assert_eq!(behind_proxy(&header), ip(CLIENT));
        let header = format!("{}{CLIENT}", "é".repeat(MAX_EXAMINED_BYTES));
        assert_eq!(behind_proxy(&header), ip(LOAD_BALANCER));
    }
}
