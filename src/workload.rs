//! The workload containers over Pebble: nginx (config file, layer, reload) and its
//! Prometheus exporter. Each function does the fewest requests that bring the container to
//! the wanted state, and reports a container that cannot be reached rather than failing.

use juju_charm::pebble::{
    Check, CheckLevel, Container, ExecOptions, Layer, Override, PebbleError, PushOptions, Service,
    Startup, TcpCheck,
};

use crate::nginx::CONFIG_PATH;

/// The nginx container and its service.
pub const NGINX: &str = "nginx";
/// The exporter's container and service.
pub const EXPORTER: &str = "nginx-prometheus-exporter";
/// The exporter's web config (no TLS: an empty mapping, as the Python library writes it).
pub const EXPORTER_WEB_CONFIG_PATH: &str = "/etc/exporter/web-config.yaml";
const EXPORTER_WEB_CONFIG: &str = "{}\n";
/// The exporter's listen port.
pub const EXPORTER_PORT: u16 = 9113;

/// Where a new nginx.conf is checked (`nginx -t -c`) before it replaces the running one.
pub const CANDIDATE_PATH: &str = "/etc/nginx/nginx.conf.candidate";
/// How long `nginx -t` may take (Pebble kills it after that).
const CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// The longest part of nginx's complaint kept for a status.
const MAX_COMPLAINT: usize = 200;

/// What happened to a container this hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Pebble did not answer: the container is not up yet.
    Unreachable,
    /// Everything was already as wanted.
    Unchanged,
    /// Something was changed (file, layer, service).
    Changed,
    /// nginx refused the new configuration (`nginx -t`): it was not installed, the last good
    /// one keeps serving.
    Refused(Refusal),
}

/// Why nginx refused a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// nginx's first complaint (`[emerg] ... in /etc/nginx/nginx.conf.candidate:12`),
    /// truncated and escaped for a status line.
    pub complaint: String,
    /// The configuration line it names, if any (truncated, escaped), for the log.
    pub line: Option<String>,
}

impl Refusal {
    /// Reads `nginx -t`'s stderr against the candidate `config`.
    pub fn from_stderr(stderr: &[u8], config: &str) -> Self {
        let text = String::from_utf8_lossy(stderr);
        let first = text
            .lines()
            .find(|l| l.contains("[emerg]") || l.contains("[crit]") || l.contains("[alert]"))
            .or_else(|| text.lines().find(|l| !l.trim().is_empty()))
            .unwrap_or("no message")
            .trim();
        // `nginx: [emerg] ...` or `2026/12/03 15:34:33 [emerg] 12#12: ...`: from the level on,
        // without the process ids.
        let first = match first.find(" [").or_else(|| first.find('[')) {
            Some(i) => {
                let rest = first[i..].trim_start();
                match (rest.find(']'), rest.find(": ")) {
                    (Some(end), Some(colon)) if colon > end => {
                        let ids = &rest[end + 1..colon];
                        if ids.trim().bytes().all(|b| b.is_ascii_digit() || b == b'#') {
                            format!("{} {}", &rest[..=end], &rest[colon + 2..])
                        } else {
                            rest.to_owned()
                        }
                    }
                    _ => rest.to_owned(),
                }
            }
            None => first.strip_prefix("nginx: ").unwrap_or(first).to_owned(),
        };
        let marker = format!("{CANDIDATE_PATH}:");
        let line = first
            .find(&marker)
            .map(|i| &first[i + marker.len()..])
            .and_then(|rest| {
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                rest[..digits].parse::<usize>().ok()
            })
            .and_then(|n| config.lines().nth(n.checked_sub(1)?))
            .map(|l| {
                juju_charm::context::truncate(l.trim(), MAX_COMPLAINT)
                    .escape_debug()
                    .to_string()
            });
        Self {
            complaint: juju_charm::context::truncate(&first, MAX_COMPLAINT)
                .escape_debug()
                .to_string(),
            line,
        }
    }
}

/// nginx's layer: the service in the foreground, and a readiness check on Tempo's HTTP port.
pub fn nginx_layer(http_port: u16) -> Layer {
    let mut layer = Layer {
        summary: Some("nginx layer".into()),
        ..Layer::default()
    };
    layer.services.insert(
        NGINX.into(),
        Service {
            override_: Some(Override::Replace),
            summary: Some("nginx".into()),
            command: Some("nginx -g 'daemon off;'".into()),
            startup: Some(Startup::Enabled),
            ..Service::default()
        },
    );
    layer.checks.insert(
        "nginx-ready".into(),
        Check {
            override_: Some(Override::Replace),
            level: Some(CheckLevel::Ready),
            tcp: Some(TcpCheck {
                port: http_port,
                host: None,
            }),
            ..Check::default()
        },
    );
    layer
}

/// FNV-1a, 64 bits: a stable fingerprint of the exporter's files for its `_reload` variable.
fn fingerprint(data: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The exporter's layer (the Python library's command; `_reload` changes with its files).
pub fn exporter_layer() -> Layer {
    let mut layer = Layer {
        summary: Some("Nginx prometheus exporter layer".into()),
        ..Layer::default()
    };
    let command = format!(
        "nginx-prometheus-exporter --web.listen-address=:{EXPORTER_PORT} --nginx.scrape-uri=http://127.0.0.1:8080/status --no-nginx.ssl-verify --web.config.file={EXPORTER_WEB_CONFIG_PATH}"
    );
    layer.services.insert(
        EXPORTER.into(),
        Service {
            override_: Some(Override::Replace),
            summary: Some("Nginx prometheus exporter".into()),
            command: Some(command),
            startup: Some(Startup::Enabled),
            environment: [(
                "_reload".to_owned(),
                fingerprint(EXPORTER_WEB_CONFIG.as_bytes()),
            )]
            .into(),
            ..Service::default()
        },
    );
    layer
}

/// Whether the plan already holds every service and check of `layer` as given.
fn plan_has(plan: &Layer, layer: &Layer) -> bool {
    layer
        .services
        .iter()
        .all(|(n, s)| plan.services.get(n) == Some(s))
        && layer
            .checks
            .iter()
            .all(|(n, c)| plan.checks.get(n) == Some(c))
}

fn reachable<T>(r: Result<T, PebbleError>) -> Result<Option<T>, PebbleError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_unreachable() => Ok(None),
        Err(e) => Err(e),
    }
}

fn running(c: &Container, service: &str) -> Result<bool, PebbleError> {
    Ok(c.get_services(&[service])?.iter().any(|s| s.is_running()))
}

fn push(c: &Container, path: &str, content: &str) -> Result<(), PebbleError> {
    c.push(
        path,
        content.as_bytes(),
        &PushOptions::default().make_dirs(),
    )
}

/// Checks `config` in the container: pushed to [`CANDIDATE_PATH`], then `nginx -t -c` on it.
/// `Ok(None)` when nginx accepts it.
fn check(c: &Container, config: &str) -> Result<Option<Refusal>, PebbleError> {
    push(c, CANDIDATE_PATH, config)?;
    let opts = ExecOptions {
        timeout: Some(CHECK_TIMEOUT),
        ..ExecOptions::default()
    };
    match c.exec(&["nginx", "-t", "-c", CANDIDATE_PATH], &opts) {
        Ok(_) => Ok(None),
        Err(PebbleError::Exec { stderr, .. }) => Ok(Some(Refusal::from_stderr(&stderr, config))),
        Err(e) => Err(e),
    }
}

/// Brings nginx to `config` and its layer: a changed file is first checked by nginx itself
/// (`nginx -t` on a candidate copy) and installed only when nginx accepts it; the layer is
/// added only when the plan lacks it, the service (re)started by a replan when the layer
/// changed or it is not running, and reloaded (`nginx -s reload`) when only the file changed.
/// A refused file leaves the running configuration in place ([`Outcome::Refused`]).
pub fn reconcile_nginx(c: &Container, config: &str, layer: &Layer) -> Result<Outcome, PebbleError> {
    let current = match c.pull(CONFIG_PATH) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.is_unreachable() => return Ok(Outcome::Unreachable),
        Err(e) if e.kind() == Some("not-found") => None,
        Err(e) => return Err(e),
    };
    let mut refused = None;
    let mut config_changed = current.as_deref() != Some(config.as_bytes());
    if config_changed {
        refused = check(c, config)?;
        if refused.is_some() {
            config_changed = false;
        } else {
            push(c, CONFIG_PATH, config)?;
        }
    }
    let Some(plan) = reachable(c.get_plan())? else {
        return Ok(Outcome::Unreachable);
    };
    let layer_changed = !plan_has(&plan, layer);
    if layer_changed {
        c.add_layer(NGINX, layer, true)?;
    }
    if layer_changed || !running(c, NGINX)? {
        c.replan()?;
    } else if config_changed {
        let opts = ExecOptions::default();
        c.exec(&["nginx", "-s", "reload"], &opts)?;
    }
    Ok(match refused {
        Some(r) => Outcome::Refused(r),
        None if config_changed || layer_changed => Outcome::Changed,
        None => Outcome::Unchanged,
    })
}

/// Brings the exporter to its layer (pushing its web config with it) and running.
pub fn reconcile_exporter(c: &Container) -> Result<Outcome, PebbleError> {
    let layer = exporter_layer();
    let Some(plan) = reachable(c.get_plan())? else {
        return Ok(Outcome::Unreachable);
    };
    if !plan_has(&plan, &layer) {
        push(c, EXPORTER_WEB_CONFIG_PATH, EXPORTER_WEB_CONFIG)?;
        c.add_layer(EXPORTER, &layer, true)?;
        c.replan()?;
        return Ok(Outcome::Changed);
    }
    if !running(c, EXPORTER)? {
        c.replan()?;
        return Ok(Outcome::Changed);
    }
    Ok(Outcome::Unchanged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_as_nginx_writes_them() {
        let config = "events {}\nhttp {\n    bogus x;\n}\n";
        for stderr in [
            "nginx: [emerg] unknown directive \"bogus\" in /etc/nginx/nginx.conf.candidate:3\nnginx: configuration file /etc/nginx/nginx.conf.candidate test failed\n",
            "2026/12/03 15:34:33 [emerg] 2890#2890: unknown directive \"bogus\" in /etc/nginx/nginx.conf.candidate:3\n",
        ] {
            let r = Refusal::from_stderr(stderr.as_bytes(), config);
            assert_eq!(
                r.complaint,
                "[emerg] unknown directive \\\"bogus\\\" in /etc/nginx/nginx.conf.candidate:3"
            );
            assert_eq!(r.line.as_deref(), Some("bogus x;"));
        }
        let r = Refusal::from_stderr(&[0xff, b'\n', b'x'], config);
        assert_eq!((r.complaint.as_str(), r.line), ("\u{fffd}", None));
        let long = format!("nginx: [emerg] {}", "a".repeat(1000));
        assert!(
            Refusal::from_stderr(long.as_bytes(), "")
                .complaint
                .chars()
                .count()
                <= MAX_COMPLAINT + 1
        );
    }
}
