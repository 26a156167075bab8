//! Who the client is on the network: its address, whether it reached us over HTTPS, and
//! the host it asked for. Forwarding headers (`Forwarded`, `X-Forwarded-For`,
//! `X-Forwarded-Proto`, `X-Forwarded-Host`) are believed only when the TCP peer is one of
//! the configured `trusted_proxies`: anyone else could write them, and they decide the
//! login throttle's address and the cookies' Secure flag.

use std::net::IpAddr;

use actix_web::http::header::{self, HeaderMap};
use actix_web::HttpRequest;

use crate::config::{canonical_ip as canonical, TrustedProxies};

/// What the request tells about its client, after deciding which headers to believe.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientInfo {
    /// The client's IP address as text (empty when unknown, e.g. in unit tests).
    pub address: String,
    pub https: bool,
    /// The host (and port) the client asked for.
    pub host: String,
}

impl ClientInfo {
    pub fn of(req: &HttpRequest, trusted: &TrustedProxies) -> ClientInfo {
        let peer = req.peer_addr().map(|a| a.ip());
        let direct_https = req.app_config().secure();
        let direct_host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .unwrap_or_else(|| req.app_config().host().to_string());
        from_parts(peer, direct_https, direct_host, req.headers(), trusted)
    }

    /// `scheme://host`, as a browser writes it in an `Origin` header.
    pub fn origin(&self) -> String {
        format!("{}://{}", if self.https { "https" } else { "http" }, self.host)
    }
}

/// The extractor, for the few handlers that need it (sign-in, sign-out, the admin page):
/// worked out from the request and the configured proxies when asked for.
impl actix_web::FromRequest for ClientInfo {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let auth = req.app_data::<actix_web::web::Data<crate::auth::AuthContext>>();
        let none = TrustedProxies::default();
        std::future::ready(Ok(ClientInfo::of(req, auth.map_or(&none, |a| &a.trusted_proxies))))
    }
}

fn from_parts(
    peer: Option<IpAddr>,
    direct_https: bool,
    direct_host: String,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> ClientInfo {
    let direct = ClientInfo {
        address: peer.map(|ip| canonical(ip).to_string()).unwrap_or_default(),
        https: direct_https,
        host: direct_host,
    };
    let Some(peer) = peer.filter(|ip| trusted.contains(*ip)) else { return direct };
    let forwarded = forwarded_elements(headers);
    // The chain as proxies appended it, client first; `Forwarded` wins over the X- headers.
    let chain: Vec<IpAddr> = if forwarded.is_empty() {
        header_values(headers, "x-forwarded-for").flat_map(|v| v.split(',').map(str::trim).filter_map(parse_node).collect::<Vec<_>>()).collect()
    } else {
        forwarded.iter().filter_map(|e| e.get("for").and_then(|v| parse_node(v))).collect()
    };
    // Walk back from our peer: the first hop we do not trust is the client. A chain made
    // only of trusted hops names the client in its first entry.
    let client = chain.iter().rev().find(|ip| !trusted.contains(**ip)).or(chain.first()).copied().unwrap_or(peer);
    let first = forwarded.first();
    let proto = first
        .and_then(|e| e.get("proto").cloned())
        .or_else(|| header_values(headers, "x-forwarded-proto").next().map(|v| v.split(',').next().unwrap_or("").trim().to_string()));
    let host = first
        .and_then(|e| e.get("host").cloned())
        .or_else(|| header_values(headers, "x-forwarded-host").next().map(|v| v.split(',').next().unwrap_or("").trim().to_string()))
        .filter(|h| !h.is_empty());
    ClientInfo {
        address: canonical(client).to_string(),
        https: proto.map_or(direct.https, |p| p.eq_ignore_ascii_case("https")),
        host: host.unwrap_or(direct.host),
    }
}

fn header_values<'a>(headers: &'a HeaderMap, name: &'static str) -> impl Iterator<Item = &'a str> {
    headers.get_all(name).filter_map(|v| v.to_str().ok())
}

/// RFC 7239 `Forwarded` elements in order, each a map of lower-cased keys to unquoted values.
fn forwarded_elements(headers: &HeaderMap) -> Vec<std::collections::HashMap<String, String>> {
    header_values(headers, "forwarded")
        .flat_map(|v| v.split(',').map(str::to_string).collect::<Vec<_>>())
        .map(|element| {
            element
                .split(';')
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"').to_string()))
                .collect()
        })
        .filter(|m: &std::collections::HashMap<String, String>| !m.is_empty())
        .collect()
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:567`, `[::1]:80` or `::1`.
fn parse_node(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once(']').and_then(|(ip, _)| ip.parse().ok());
    }
    text.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok())
}


#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        map
    }

    fn info(peer: &str, pairs: &[(&str, &str)], trusted: &[&str]) -> ClientInfo {
        from_parts(Some(peer.parse().unwrap()), false, "app.example".into(), &headers(pairs), &TrustedProxies::parse(trusted).unwrap())
    }

    #[test]
    fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
        let got = info("203.0.113.9", &[("x-forwarded-for", "1.1.1.1"), ("x-forwarded-proto", "https"), ("x-forwarded-host", "evil")], &[]);
        assert_eq!(got, ClientInfo { address: "203.0.113.9".into(), https: false, host: "app.example".into() });
        let got = info("203.0.113.9", &[("x-forwarded-for", "1.1.1.1")], &["10.0.0.0/8"]);
        assert_eq!(got.address, "203.0.113.9");
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_scheme() {
        let got = info("10.0.0.2", &[("x-forwarded-for", "198.51.100.7"), ("x-forwarded-proto", "https"), ("x-forwarded-host", "cw.example")], &["10.0.0.0/8"]);
        assert_eq!(got, ClientInfo { address: "198.51.100.7".into(), https: true, host: "cw.example".into() });
    }

    #[test]
    fn a_client_cannot_prepend_its_own_address() {
        // The client sent "X-Forwarded-For: 6.6.6.6"; nginx appended the real address.
        let got = info("10.0.0.2", &[("x-forwarded-for", "6.6.6.6, 198.51.100.7")], &["10.0.0.0/8"]);
        assert_eq!(got.address, "198.51.100.7");
        // Two trusted hops: the client is the last untrusted entry.
        let got = info("10.0.0.2", &[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.5")], &["10.0.0.0/8"]);
        assert_eq!(got.address, "198.51.100.7");
    }

    #[test]
    fn rfc7239_forwarded_is_read() {
        let got = info("127.0.0.1", &[("forwarded", "for=\"[2001:db8::1]:4711\";proto=https;host=cw.example")], &["127.0.0.1"]);
        assert_eq!(got, ClientInfo { address: "2001:db8::1".into(), https: true, host: "cw.example".into() });
        let got = info("127.0.0.1", &[("forwarded", "for=192.0.2.60, for=198.51.100.17")], &["127.0.0.1"]);
        assert_eq!(got.address, "198.51.100.17");
    }

    #[test]
    fn mapped_ipv4_is_ipv4() {
        let got = info("::ffff:10.0.0.2", &[("x-forwarded-for", "198.51.100.7")], &["10.0.0.2"]);
        assert_eq!(got.address, "198.51.100.7");
        assert_eq!(info("::ffff:192.0.2.1", &[], &[]).address, "192.0.2.1");
    }

    #[test]
    fn bad_entries_are_named() {
        let err = TrustedProxies::parse(&["10.0.0.0/8", "nginx.local"]).unwrap_err();
        assert!(err.contains("nginx.local"), "{err}");
        assert!(TrustedProxies::parse(&["", " 127.0.0.1 "]).unwrap().contains("127.0.0.1".parse().unwrap()));
    }
}
