//! nginx's configuration for the coordinator's `nginx` container (pure): one upstream per
//! port with the workers that serve it, one server per port, the worker-telemetry proxy on
//! 3300. Directive for directive what the Python coordinator pushes (charmlibs-nginx-k8s,
//! coordinated-workers), with one fix: gRPC servers set the tenant header with
//! `grpc_set_header` (nginx ignores `proxy_set_header` for `grpc_pass`).

/// Where nginx reads its configuration.
pub const CONFIG_PATH: &str = "/etc/nginx/nginx.conf";
/// Where nginx reads its certificate when TLS is on (as the Python coordinator puts it).
pub const CERT_PATH: &str = "/etc/nginx/certs/server.cert";
/// Where nginx reads its private key when TLS is on.
pub const KEY_PATH: &str = "/etc/nginx/certs/server.key";
/// Where the CA is installed in the nginx container (then `update-ca-certificates`).
pub const CA_PATH: &str = "/usr/local/share/ca-certificates/ca.crt";
/// The TLS versions served: 1.2 and 1.3 only (the Python coordinator also enables the
/// deprecated TLSv1 and TLSv1.1).
pub const SSL_PROTOCOLS: [&str; 2] = ["TLSv1.2", "TLSv1.3"];
/// The port of the worker-telemetry proxy.
pub const PROXY_WORKER_TELEMETRY_PORT: u16 = 3300;

use std::borrow::Cow;

/// One directive: name, arguments, and a block when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive<'a> {
    /// The name (`server`).
    pub name: &'static str,
    /// Its arguments: fixed words and the inputs' text borrowed, the rest owned (the file
    /// grows with every worker unit, so nothing is copied for each that need not be).
    pub args: Vec<Cow<'a, str>>,
    /// Its block, if it is a block directive.
    pub block: Option<Vec<Directive<'a>>>,
    /// An upstream's `server <address>:<port> resolve;` lines, written after the block's
    /// directives straight from the addresses: one line per worker unit and role, so none
    /// is built as a directive.
    pub servers: Option<(&'a [String], u16)>,
}

/// `d!("name", arg, ...)`: a directive; each argument a `&'static str` or a `String`.
macro_rules! d {
    ($name:expr $(, $arg:expr)* $(,)?) => {
        Directive {
            name: $name,
            args: vec![$(Cow::from($arg)),*],
            block: None,
            servers: None,
        }
    };
}

fn block<'a>(mut head: Directive<'a>, body: Vec<Directive<'a>>) -> Directive<'a> {
    head.block = Some(body);
    head
}

/// A group of backends listening on one port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// The upstream's name (`otlp-http`).
    pub name: String,
    /// The port every server in it listens on.
    pub port: u16,
    /// Its servers (sorted, deduplicated by the caller); shared, since several upstreams
    /// (one per receiver) list the same thousand workers.
    pub addresses: std::rc::Rc<[String]>,
}

/// A location in a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// `=` for an exact match, `""` for a prefix.
    pub modifier: &'static str,
    /// The path.
    pub path: String,
    /// The upstream it proxies to.
    pub backend: String,
    /// A path appended to the upstream (`/metrics`).
    pub backend_url: String,
    /// Whether the upstream speaks TLS.
    pub upstream_tls: bool,
    /// Telemetry-proxy locations keep connections plain HTTP/1.1.
    pub keepalive_http11: bool,
    /// Strip the location's path before proxying (`rewrite ^<path>(.*) /$1 break`), as the
    /// self-tracing proxy locations do.
    pub strip_prefix: bool,
}

/// A server (one port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// The port.
    pub port: u16,
    /// Whether it is a gRPC server (HTTP/2, `grpc_pass`).
    pub grpc: bool,
    /// Its locations.
    pub locations: Vec<Location>,
}

/// Everything the configuration is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NginxInputs {
    /// `server_name`: this unit's FQDN.
    pub server_name: String,
    /// The DNS server from the container's resolv.conf.
    pub resolver: String,
    /// Whether to listen on IPv6 too.
    pub ipv6: bool,
    /// Upstreams in order (empty ones are left out).
    pub upstreams: Vec<Upstream>,
    /// Servers in order.
    pub servers: Vec<Server>,
    /// Whether every server listens with TLS ([`CERT_PATH`], [`KEY_PATH`]).
    pub tls: bool,
}

fn map_block(
    source: &'static str,
    target: &'static str,
    entries: &[(&'static str, &'static str)],
) -> Directive<'static> {
    let body = entries.iter().map(|(k, v)| d!("", *k, *v)).collect();
    block(d!("map", source, target), body)
}

/// An upstream zone's fixed cost in bytes (nginx 1.30: 8 slab pages and the zone's
/// headers; one `server ... resolve` needs a 32k zone).
const ZONE_BASE: usize = 32 * 1024;
/// Per `server ... resolve` line: measured with nginx 1.30.6 (`nginx -t`, the smallest zone it
/// accepts for N servers, N = 10 to 1,000) at 1,220 bytes per server for 60-byte host names
/// and 1,810 bytes for 253-byte ones: about 1,100 bytes plus 3 per byte of the name.
const ZONE_PER_SERVER: usize = 1100;
/// Per byte of the longest host name, per server.
const ZONE_PER_NAME_BYTE: usize = 3;
/// Each server counted twice: when its name resolves, the peers nginx adds live in the zone.
const ZONE_MARGIN: usize = 2;
/// The Python charm's fixed size, kept as the minimum (it holds up to about 30 servers).
const ZONE_MIN: usize = 64 * 1024;

/// The shared-memory zone for an upstream of these servers, by what it holds: `64k` (as the
/// Python charm writes) while that is enough, else the measured cost with a margin of 2,
/// rounded up to 4k pages. `docs/benchmarks.md` has the measurements.
pub fn zone_size(servers: &[String]) -> Cow<'static, str> {
    let longest = servers.iter().map(String::len).max().unwrap_or(0);
    let need =
        ZONE_BASE + servers.len() * ZONE_MARGIN * (ZONE_PER_SERVER + ZONE_PER_NAME_BYTE * longest);
    if need <= ZONE_MIN {
        return Cow::Borrowed("64k");
    }
    let bytes = need.div_ceil(4096) * 4096;
    Cow::Owned(format!("{}k", bytes / 1024))
}

/// The directive tree.
pub fn directives<'a>(i: &'a NginxInputs) -> Vec<Directive<'a>> {
    let upstreams: Vec<&Upstream> = i
        .upstreams
        .iter()
        .filter(|u| !u.addresses.is_empty())
        .collect();
    let mut http: Vec<Directive> = upstreams
        .iter()
        .map(|u| {
            let zone = d!("zone", format!("{}_zone", u.name), zone_size(&u.addresses));
            let mut up = block(d!("upstream", u.name.as_str()), vec![zone]);
            up.servers = Some((&u.addresses, u.port));
            up
        })
        .collect();
    http.extend([
        d!("client_body_temp_path", "/tmp/client_temp"),
        d!("proxy_temp_path", "/tmp/proxy_temp_path"),
        d!("fastcgi_temp_path", "/tmp/fastcgi_temp"),
        d!("uwsgi_temp_path", "/tmp/uwsgi_temp"),
        d!("scgi_temp_path", "/tmp/scgi_temp"),
        d!("include", "/etc/nginx/mime.types"),
        d!("default_type", "application/octet-stream"),
        d!("log_format", "main", "$remote_addr - $remote_user [$time_local]  $status \"$request\" $body_bytes_sent \"$http_referer\" \"$http_user_agent\" \"$http_x_forwarded_for\""),
    ]);
    // The Python coordinator passes the library's two default maps again as extra maps, so
    // they appear twice; nginx accepts that, and keeping it keeps the file token-identical.
    for _ in 0..2 {
        http.push(map_block(
            "$status",
            "$loggable",
            &[("~^[23]", "0"), ("default", "1")],
        ));
        http.push(map_block(
            "$http_x_scope_orgid",
            "$ensured_x_scope_orgid",
            &[("default", "$http_x_scope_orgid"), ("", "anonymous")],
        ));
    }
    http.extend([
        d!("access_log", "/dev/stderr"),
        d!("sendfile", "on"),
        d!("tcp_nopush", "on"),
        d!("resolver", i.resolver.as_str()),
        d!("proxy_read_timeout", "300"),
    ]);
    // One location per worker unit on the telemetry proxy, one upstream each: a set, not a
    // scan per location.
    let names: std::collections::BTreeSet<&str> =
        upstreams.iter().map(|u| u.name.as_str()).collect();
    let known = |name: &str| names.contains(name);
    for s in &i.servers {
        let locations: Vec<Directive> = s
            .locations
            .iter()
            .filter(|l| known(&l.backend))
            .map(|l| {
                let scheme = match (s.grpc, l.upstream_tls) {
                    (true, false) => "grpc",
                    (true, true) => "grpcs",
                    (false, false) => "http",
                    (false, true) => "https",
                };
                let mut body = vec![d!(
                    "set",
                    "$backend",
                    format!("{scheme}://{}{}", l.backend, l.backend_url),
                )];
                if l.strip_prefix {
                    body.push(d!("rewrite", format!("^{}(.*)", l.path), "/$1", "break"));
                }
                body.extend([
                    d!(if s.grpc { "grpc_pass" } else { "proxy_pass" }, "$backend"),
                    d!("proxy_connect_timeout", "5s"),
                ]);
                if l.keepalive_http11 {
                    body.push(d!("proxy_http_version", "1.1"));
                    body.push(d!("proxy_set_header", "Connection", ""));
                }
                let head = if l.modifier.is_empty() {
                    d!("location", l.path.as_str())
                } else {
                    d!("location", l.modifier, l.path.as_str())
                };
                block(head, body)
            })
            .collect();
        if locations.is_empty() {
            continue;
        }
        let port = s.port.to_string();
        let mut body = Vec::new();
        let ssl = |d: Directive<'a>| {
            let mut d = d;
            if i.tls {
                d.args.push(Cow::from("ssl"));
            }
            d
        };
        body.push(ssl(d!("listen", port.clone())));
        if i.ipv6 {
            body.push(ssl(d!("listen", format!("[::]:{port}"))));
        }
        if s.grpc {
            body.push(d!("http2", "on"));
        }
        let header = if s.grpc {
            "grpc_set_header"
        } else {
            "proxy_set_header"
        };
        body.push(d!(header, "X-Scope-OrgID", "$ensured_x_scope_orgid"));
        body.push(d!("server_name", i.server_name.as_str()));
        if i.tls {
            body.extend([
                d!("ssl_certificate", CERT_PATH),
                d!("ssl_certificate_key", KEY_PATH),
                d!("ssl_protocols", SSL_PROTOCOLS[0], SSL_PROTOCOLS[1]),
                d!("ssl_ciphers", "HIGH:!aNULL:!MD5"),
            ]);
        }
        body.extend(locations);
        http.push(block(d!("server"), body));
    }
    vec![
        d!("worker_processes", "5"),
        d!("error_log", "/dev/stderr", "error"),
        d!("pid", "/tmp/nginx.pid"),
        d!("worker_rlimit_nofile", "8192"),
        block(d!("events"), vec![d!("worker_connections", "4096")]),
        block(d!("http"), http),
    ]
}

/// Whether nginx reads `arg` back bare.
fn is_plain(arg: &str) -> bool {
    let special =
        |c: char| c.is_whitespace() || matches!(c, ';' | '{' | '}' | '"' | '\'' | '#' | '\\');
    if arg.is_empty() {
        return false;
    }
    // Bytes below 0x80 are whole characters, so ASCII text needs no UTF-8 decoding: one
    // table look-up a byte (the file is most of a megabyte at a thousand units).
    for b in arg.bytes() {
        match SPECIAL_ASCII.get(usize::from(b)) {
            None => return !arg.chars().any(special),
            Some(true) => return false,
            Some(false) => {}
        }
    }
    true
}

/// The ASCII bytes that make an argument need quotes: `char::is_whitespace`'s six and
/// nginx's own.
const SPECIAL_ASCII: [bool; 128] = {
    let mut t = [false; 128];
    let special = *b" \t\n\x0b\x0c\r;{}\"'#\\";
    let mut i = 0;
    while i < special.len() {
        t[special[i] as usize] = true;
        i += 1;
    }
    t
};

/// `arg` as nginx reads it back: bare when it can be, else single-quoted.
fn push_quoted(out: &mut String, arg: &str) {
    if is_plain(arg) {
        out.push_str(arg);
        return;
    }
    out.push('\'');
    for c in arg.chars() {
        if matches!(c, '\'' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
}

/// Writes `ds` at `depth`, straight into `out` (the config grows with every worker unit,
/// so nothing is built per line).
fn write(out: &mut String, ds: &[Directive], depth: usize) {
    for x in ds {
        for _ in 0..depth {
            out.push_str("    ");
        }
        out.push_str(x.name);
        for (i, a) in x.args.iter().enumerate() {
            if i > 0 || !x.name.is_empty() {
                out.push(' ');
            }
            push_quoted(out, a);
        }
        match &x.block {
            None => out.push_str(";\n"),
            Some(body) => {
                out.push_str(" {\n");
                write(out, body, depth + 1);
                if let Some((addresses, port)) = x.servers {
                    write_servers(out, addresses, port, depth + 1);
                }
                for _ in 0..depth {
                    out.push_str("    ");
                }
                out.push_str("}\n");
            }
        }
    }
}

/// `server <address>:<port> resolve;` per address, as [`write`] would write the directive.
fn write_servers(out: &mut String, addresses: &[String], port: u16, depth: usize) {
    let port = format!(":{port}");
    for a in addresses {
        for _ in 0..depth {
            out.push_str("    ");
        }
        out.push_str("server ");
        if is_plain(a) {
            out.push_str(a);
            out.push_str(&port);
        } else {
            push_quoted(out, &format!("{a}{port}"));
        }
        out.push_str(" resolve;\n");
    }
}

/// The configuration file's text.
pub fn render(i: &NginxInputs) -> String {
    // Sized once from what the file holds (a server line is about 80 bytes, an upstream's
    // own lines 120, a location 250): at a thousand worker units the file is most of a
    // megabyte, and doubling past it would hold half as much again at the hook's peak.
    let servers: usize = i.upstreams.iter().map(|u| u.addresses.len()).sum();
    let locations: usize = i.servers.iter().map(|s| s.locations.len()).sum();
    let mut out =
        String::with_capacity(16 * 1024 + 80 * servers + 120 * i.upstreams.len() + 250 * locations);
    write(&mut out, &directives(i), 0);
    out
}

/// The first `nameserver` in a resolv.conf, as the Python library reads it, in the form
/// nginx's `resolver` takes (an IPv6 address bracketed); one that is not a host is skipped.
pub fn nameserver(resolv_conf: &str) -> Option<String> {
    resolv_conf
        .lines()
        .filter(|l| l.starts_with("nameserver"))
        .filter_map(|l| l.split_whitespace().nth(1))
        .find_map(|a| a.parse::<charm_interfaces::grammar::Host>().ok())
        .map(|h| h.to_string())
}

/// nginx's arguments split back into tokens (quotes resolved, comments dropped), for
/// comparing two files directive by directive.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            ';' | '{' | '}' => out.push(c.to_string()),
            '\'' | '"' => {
                let mut tok = String::new();
                while let Some(n) = chars.next() {
                    match n {
                        '\\' => tok.extend(chars.next()),
                        n if n == c => break,
                        n => tok.push(n),
                    }
                }
                out.push(tok);
            }
            c => {
                let mut tok = c.to_string();
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || matches!(n, ';' | '{' | '}') {
                        break;
                    }
                    tok.push(n);
                    chars.next();
                }
                out.push(tok);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_round_trips_through_the_tokenizer() {
        for arg in ["plain", "", "a b", "it's", "back\\slash", "x;y", "$var"] {
            let mut text = String::from("set ");
            push_quoted(&mut text, arg);
            text.push(';');
            assert_eq!(tokens(&text), ["set", arg, ";"], "{arg}");
        }
    }

    #[test]
    fn the_ascii_fast_path_agrees_with_the_character_check() {
        for b in 0u8..0x80 {
            let c = char::from(b);
            let by_char =
                !(c.is_whitespace() || matches!(c, ';' | '{' | '}' | '"' | '\'' | '#' | '\\'));
            assert_eq!(is_plain(&format!("a{c}b")), by_char, "{b:#x}");
        }
        assert!(!is_plain("a\u{a0}b"), "non-ASCII whitespace still quotes");
    }

    #[test]
    fn zones_grow_with_what_they_hold() {
        let hosts = |n: usize, len: usize| -> Vec<String> {
            (0..n).map(|i| format!("{i:0>len$}")).collect()
        };
        // Small upstreams keep Python's 64k (the recorded states' bytes).
        assert_eq!(zone_size(&hosts(1, 60)), "64k");
        assert_eq!(zone_size(&hosts(12, 60)), "64k");
        // Above what 64k holds: at least twice what nginx 1.30 was measured to need
        // (1,242k for 1,000 servers of 60 bytes, 1,804k for 1,000 of 253 bytes).
        let k = |s: Cow<str>| s.trim_end_matches('k').parse::<usize>().unwrap();
        assert!(k(zone_size(&hosts(1000, 60))) >= 2 * 1242 - 32);
        assert!(k(zone_size(&hosts(1000, 253))) >= 2 * 1804 - 32);
        assert_eq!(k(zone_size(&hosts(100, 60))) % 4, 0);
    }

    #[test]
    fn nameserver_is_the_first() {
        let r = "search cos.svc.cluster.local\nnameserver 10.152.183.10\nnameserver 1.1.1.1\n";
        assert_eq!(nameserver(r).as_deref(), Some("10.152.183.10"));
        assert_eq!(nameserver("search x\n"), None);
        assert_eq!(
            nameserver("nameserver fd00::a\n").as_deref(),
            Some("[fd00::a]")
        );
        assert_eq!(
            nameserver("nameserver $x\nnameserver 10.0.0.2\n").as_deref(),
            Some("10.0.0.2")
        );
    }
}
