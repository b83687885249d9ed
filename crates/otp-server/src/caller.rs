//! Who is calling: the connection's peer or, when that peer is a trusted proxy
//! (`--trusted-proxies`), the client address and scheme the proxies forwarded. [`identify`] runs
//! on every request and leaves a [`Caller`] in its extensions; per-IP limits and the cookie's
//! `Secure` read it, and nothing else reads forwarding headers.
//!
//! The client is the rightmost address of the forwarding chain that is not a trusted proxy: each
//! trusted proxy appends the address it saw, so everything left of the first untrusted one may be
//! made up by the client. An entry that is not an address (`unknown`, an obfuscated name, junk)
//! ends the walk at the trusted hop that wrote it. Only one header is read
//! (`--forwarded-header`), since a proxy passes the other on as the client sent it.

use crate::config::{CookieSecure, EdgeConfig, ForwardedHeader};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Who sent a request, as far as the server can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// The client's address: the connection's peer, or what the trusted proxies forwarded.
    pub ip: Option<IpAddr>,
    /// Whether the `__client` cookie gets `Secure` in answers to this request.
    pub secure_cookie: bool,
}

impl Caller {
    /// The caller of a request that came from `peer` with `headers`.
    pub fn of(peer: Option<IpAddr>, headers: &HeaderMap, edge: &EdgeConfig) -> Self {
        let peer = peer.map(|ip| ip.to_canonical());
        let trusted = |ip: &IpAddr| edge.trusted_proxies.iter().any(|net| net.contains(ip));
        let (ip, scheme) = match peer {
            Some(proxy) if trusted(&proxy) => {
                let hop = client_hop(headers, edge.forwarded_header, proxy, &trusted);
                (Some(hop.ip), hop.scheme)
            }
            // The listener speaks plain HTTP: a direct client is on http.
            direct => (direct, Scheme::Http),
        };
        let secure_cookie = match edge.cookie_secure {
            CookieSecure::Always => true,
            CookieSecure::Never => false,
            // Plain HTTP from loopback is local development; anything else might cross a
            // network, and a cookie without `Secure` could then leak over http.
            CookieSecure::Auto => {
                !(scheme == Scheme::Http && ip.is_some_and(|ip| ip.is_loopback()))
            }
        };
        Self { ip, secure_cookie }
    }
}

/// Sets the request's [`Caller`] (from the peer in `ConnectInfo` and the trusted headers).
pub async fn identify(
    State(edge): State<Arc<EdgeConfig>>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let caller = Caller::of(peer, req.headers(), &edge);
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// The scheme the client used, as a trusted proxy reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
    /// Not said, or said in contradicting ways.
    Unknown,
}

impl Scheme {
    fn parse(s: &str) -> Self {
        match s.trim().trim_matches('"') {
            p if p.eq_ignore_ascii_case("https") => Self::Https,
            p if p.eq_ignore_ascii_case("http") => Self::Http,
            _ => Self::Unknown,
        }
    }
}

/// The client as the trusted proxies saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hop {
    ip: IpAddr,
    scheme: Scheme,
}

/// One entry of the forwarding chain: the address a proxy saw (`None` when it is not an
/// address), and the scheme it saw it on.
struct Entry {
    ip: Option<IpAddr>,
    scheme: Scheme,
}

/// The rightmost untrusted hop of the chain the proxies forwarded to `proxy` (see the module
/// documentation); `proxy` itself when no header names one.
fn client_hop(
    headers: &HeaderMap,
    header: ForwardedHeader,
    proxy: IpAddr,
    trusted: &impl Fn(&IpAddr) -> bool,
) -> Hop {
    let entries = match header {
        ForwardedHeader::XForwardedFor => x_forwarded_for(headers),
        ForwardedHeader::Forwarded => forwarded(headers),
    };
    let mut client = Hop {
        ip: proxy,
        scheme: Scheme::Unknown,
    };
    for entry in entries.iter().rev() {
        client.scheme = entry.scheme;
        match entry.ip {
            Some(ip) if trusted(&ip) => client.ip = ip,
            Some(ip) => {
                client.ip = ip;
                break;
            }
            // Not an address: the trusted hop that wrote it is as far as the chain is known.
            None => break,
        }
    }
    client
}

/// The values of every `name` header, split at commas, in order.
fn list<'a>(headers: &'a HeaderMap, name: &str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
}

/// `X-Forwarded-For` entries; the scheme, from `X-Forwarded-Proto`, applies to all of them and is
/// known only when every value agrees.
fn x_forwarded_for(headers: &HeaderMap) -> Vec<Entry> {
    let mut schemes = list(headers, "x-forwarded-proto").map(Scheme::parse);
    let first = schemes.next().unwrap_or(Scheme::Unknown);
    let scheme = if schemes.all(|s| s == first) {
        first
    } else {
        Scheme::Unknown
    };
    list(headers, "x-forwarded-for")
        .map(|node| Entry {
            ip: parse_node(node),
            scheme,
        })
        .collect()
}

/// RFC 7239 `Forwarded` elements: `for=` and `proto=` of each.
fn forwarded(headers: &HeaderMap) -> Vec<Entry> {
    list(headers, "forwarded")
        .map(|element| {
            let mut entry = Entry {
                ip: None,
                scheme: Scheme::Unknown,
            };
            for pair in element.split(';') {
                let Some((name, value)) = pair.split_once('=') else {
                    continue;
                };
                match name.trim().to_ascii_lowercase().as_str() {
                    "for" => entry.ip = parse_node(value),
                    "proto" => entry.scheme = Scheme::parse(value),
                    _ => {}
                }
            }
            entry
        })
        .collect()
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]:4711`, possibly quoted; `None` for anything else (`unknown`, `_hidden`).
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    let host = match node.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None if node.matches(':').count() == 1 => node.split(':').next()?,
        None => node,
    };
    host.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_trusted_proxy;
    use axum::http::HeaderValue;

    fn edge(trusted: &[&str], header: ForwardedHeader, cookie: CookieSecure) -> EdgeConfig {
        let mut config = crate::config::Config::for_dev(std::path::PathBuf::from("/tmp/x")).edge;
        config.trusted_proxies = trusted
            .iter()
            .map(|t| parse_trusted_proxy(t).expect("cidr"))
            .collect();
        config.forwarded_header = header;
        config.cookie_secure = cookie;
        config
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    const LB: &str = "10.0.0.5";

    #[test]
    fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
        let edge = edge(
            &["10.0.0.0/8"],
            ForwardedHeader::XForwardedFor,
            CookieSecure::Auto,
        );
        let spoofed = headers(&[
            ("x-forwarded-for", "198.51.100.7"),
            ("x-forwarded-proto", "http"),
        ]);
        let caller = Caller::of(Some(ip("203.0.113.9")), &spoofed, &edge);
        assert_eq!(caller.ip, Some(ip("203.0.113.9")));
        let caller = Caller::of(Some(ip("127.0.0.1")), &spoofed, &edge);
        assert_eq!(caller.ip, Some(ip("127.0.0.1")));
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_address() {
        let edge = edge(
            &["10.0.0.0/8", "2001:db8:1::/48"],
            ForwardedHeader::XForwardedFor,
            CookieSecure::Auto,
        );
        for (xff, client) in [
            // What the client wrote is left of what the proxies appended.
            ("1.1.1.1, 203.0.113.9", "203.0.113.9"),
            ("1.1.1.1, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
            ("203.0.113.9:4711", "203.0.113.9"),
            ("[2001:db8::9]:80", "2001:db8::9"),
            ("2001:db8::9", "2001:db8::9"),
            ("::ffff:203.0.113.9", "203.0.113.9"),
            // All trusted: the farthest one.
            ("10.0.0.8, 10.0.0.7", "10.0.0.8"),
            // Junk ends the walk at the trusted hop that wrote it.
            ("203.0.113.9, unknown, 10.0.0.7", "10.0.0.7"),
            ("nonsense", LB),
            ("", LB),
        ] {
            let caller = Caller::of(Some(ip(LB)), &headers(&[("x-forwarded-for", xff)]), &edge);
            assert_eq!(caller.ip, Some(ip(client)), "{xff}");
        }
        // Several header lines are one list.
        let two = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(
            Caller::of(Some(ip(LB)), &two, &edge).ip,
            Some(ip("203.0.113.9"))
        );
        // No header: the proxy itself (a health check).
        assert_eq!(
            Caller::of(Some(ip(LB)), &HeaderMap::new(), &edge).ip,
            Some(ip(LB))
        );
        // A proxy reached over IPv4-mapped IPv6 (a dual-stack listener) is still trusted.
        let mapped = Caller::of(
            Some(ip("::ffff:10.0.0.5")),
            &headers(&[("x-forwarded-for", "203.0.113.9")]),
            &edge,
        );
        assert_eq!(mapped.ip, Some(ip("203.0.113.9")));
    }

    #[test]
    fn rfc_7239_forwarded_is_read_when_configured_and_only_then() {
        let forwarded = edge(
            &["10.0.0.0/8"],
            ForwardedHeader::Forwarded,
            CookieSecure::Auto,
        );
        let xff = edge(
            &["10.0.0.0/8"],
            ForwardedHeader::XForwardedFor,
            CookieSecure::Auto,
        );
        let h = headers(&[
            (
                "forwarded",
                "for=1.1.1.1, for=\"[2001:db8::9]:4711\";proto=https;by=10.0.0.7, for=10.0.0.7",
            ),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(
            Caller::of(Some(ip(LB)), &h, &forwarded).ip,
            Some(ip("2001:db8::9"))
        );
        assert_eq!(
            Caller::of(Some(ip(LB)), &h, &xff).ip,
            Some(ip("198.51.100.7"))
        );
        let hidden = headers(&[("forwarded", "for=203.0.113.9, for=_hidden, For=10.0.0.7")]);
        assert_eq!(
            Caller::of(Some(ip(LB)), &hidden, &forwarded).ip,
            Some(ip("10.0.0.7"))
        );
    }

    #[test]
    fn auto_makes_the_cookie_secure_except_for_plain_http_from_loopback() {
        let auto = edge(
            &["10.0.0.0/8"],
            ForwardedHeader::XForwardedFor,
            CookieSecure::Auto,
        );
        let secure = |peer: &str, h: &[(&'static str, &str)]| {
            Caller::of(Some(ip(peer)), &headers(h), &auto).secure_cookie
        };
        // Direct: loopback is local development; any other peer may be across a network.
        assert!(!secure("127.0.0.1", &[]));
        assert!(!secure(
            "::1",
            &[("host", "auth.example"), ("x-forwarded-proto", "https")]
        ));
        assert!(secure("192.0.2.10", &[("host", "localhost")]));
        // Through a trusted proxy: https is Secure whatever the Host; http only from loopback
        // goes without; an unknown scheme is Secure.
        let https = [
            ("host", "localhost"),
            ("x-forwarded-for", "127.0.0.1"),
            ("x-forwarded-proto", "https"),
        ];
        assert!(secure(LB, &https));
        let http_local = [
            ("x-forwarded-for", "127.0.0.1"),
            ("x-forwarded-proto", "http"),
        ];
        assert!(!secure(LB, &http_local));
        let http_remote = [
            ("x-forwarded-for", "203.0.113.9"),
            ("x-forwarded-proto", "http"),
        ];
        assert!(secure(LB, &http_remote));
        assert!(secure(LB, &[("x-forwarded-for", "127.0.0.1")]));
        let mixed = [
            ("x-forwarded-for", "127.0.0.1"),
            ("x-forwarded-proto", "http, https"),
        ];
        assert!(secure(LB, &mixed));
        // No peer known (a router called in-process): Secure.
        assert!(Caller::of(None, &HeaderMap::new(), &auto).secure_cookie);
    }

    #[test]
    fn always_and_never_ignore_the_request() {
        let always = edge(&[], ForwardedHeader::XForwardedFor, CookieSecure::Always);
        let never = edge(&[LB], ForwardedHeader::XForwardedFor, CookieSecure::Never);
        let https = headers(&[("x-forwarded-proto", "https")]);
        assert!(Caller::of(Some(ip("127.0.0.1")), &HeaderMap::new(), &always).secure_cookie);
        assert!(!Caller::of(Some(ip(LB)), &https, &never).secure_cookie);
    }
}
