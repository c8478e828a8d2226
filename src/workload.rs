//! The workload containers over Pebble: nginx (config file, layer, reload) and its
//! Prometheus exporter. Each function does the fewest requests that bring the container to
//! the wanted state, and reports a container that cannot be reached rather than failing.

use std::collections::BTreeMap;

use juju_charm::pebble::{
    Check, CheckLevel, Container, ExecOptions, Layer, LogTarget, Override, PebbleError,
    PushOptions, Service, Startup, TcpCheck,
};

use crate::nginx::{CA_PATH, CERT_PATH, CONFIG_PATH, KEY_PATH};
use crate::pki::sha256_hex;
use crate::tls::Serving;

/// The nginx container and its service.
pub const NGINX: &str = "nginx";
/// The exporter's container and service.
pub const EXPORTER: &str = "nginx-prometheus-exporter";
/// The exporter's web config (no TLS: an empty mapping, as the Python library writes it).
pub const EXPORTER_WEB_CONFIG_PATH: &str = "/etc/exporter/web-config.yaml";
const EXPORTER_WEB_CONFIG: &str = "{}\n";
/// The exporter's web config with TLS (the Python library's bytes).
const EXPORTER_WEB_CONFIG_TLS: &str = "tls_server_config:\n  cert_file: /etc/exporter/certs/server.crt\n  key_file: /etc/exporter/certs/server.key\n";
/// The exporter's certificate.
pub const EXPORTER_CERT_PATH: &str = "/etc/exporter/certs/server.crt";
/// The exporter's private key.
pub const EXPORTER_KEY_PATH: &str = "/etc/exporter/certs/server.key";
/// Private keys are readable by their owner (root, as Pebble writes them) only; the Python
/// coordinator writes nginx's 0644.
pub const KEY_MODE: u32 = 0o600;
/// Certificates and the CA are public.
pub const CERT_MODE: u32 = 0o644;
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

/// The exporter's `_reload` variable, as the Python library computes it:
/// `sha256(key + certificate),sha256(web config)` (empty key and certificate without TLS), so
/// the service restarts when its files change and a `juju refresh` between the two charms
/// restarts nothing.
fn reload_fingerprint(tls: Option<&Serving>) -> String {
    let (files, web) = match tls {
        Some(t) => (
            format!("{}{}", t.private_key, t.certificate),
            EXPORTER_WEB_CONFIG_TLS,
        ),
        None => (String::new(), EXPORTER_WEB_CONFIG),
    };
    format!(
        "{},{}",
        sha256_hex(files.as_bytes()),
        sha256_hex(web.as_bytes())
    )
}

/// The exporter's layer (the Python library's command; `_reload` changes with its files).
/// With TLS it scrapes `https://127.0.0.1:443/status`, as the Python library has it.
pub fn exporter_layer(tls: Option<&Serving>) -> Layer {
    let mut layer = Layer {
        summary: Some("Nginx prometheus exporter layer".into()),
        ..Layer::default()
    };
    let scrape = if tls.is_some() {
        "https://127.0.0.1:443/status"
    } else {
        "http://127.0.0.1:8080/status"
    };
    let command = format!(
        "nginx-prometheus-exporter --web.listen-address=:{EXPORTER_PORT} --nginx.scrape-uri={scrape} --no-nginx.ssl-verify --web.config.file={EXPORTER_WEB_CONFIG_PATH}"
    );
    layer.services.insert(
        EXPORTER.into(),
        Service {
            override_: Some(Override::Replace),
            summary: Some("Nginx prometheus exporter".into()),
            command: Some(command),
            startup: Some(Startup::Enabled),
            environment: [("_reload".to_owned(), reload_fingerprint(tls))].into(),
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

fn push_mode(c: &Container, path: &str, content: &str, mode: u32) -> Result<(), PebbleError> {
    c.push(
        path,
        content.as_bytes(),
        &PushOptions::default().make_dirs().permissions(mode),
    )
}

/// Removes `path`; one that is not there is fine.
fn remove(c: &Container, path: &str) -> Result<(), PebbleError> {
    match c.remove_path(path, false) {
        Err(e) if e.kind() == Some("not-found") => Ok(()),
        other => other,
    }
}

fn update_ca_certificates(c: &Container) -> Result<(), PebbleError> {
    c.exec(
        &["update-ca-certificates", "--fresh"],
        &ExecOptions::default(),
    )
    .map(|_| ())
}

/// PEM files as written to disk: with a trailing newline.
fn pem_file(pem: &str) -> String {
    format!("{pem}\n")
}

/// Brings nginx's certificate, key and CA to `tls` (or removes them when TLS is off), before
/// nginx.conf refers to them. One `pull` of the certificate when nothing changed: it is
/// written last, so it stands for all three. The CA is installed with
/// `update-ca-certificates --fresh` only when it changed. `Changed` means nginx must reload.
pub fn reconcile_nginx_tls(c: &Container, tls: Option<&Serving>) -> Result<Outcome, PebbleError> {
    let current = match c.pull(CERT_PATH) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.is_unreachable() => return Ok(Outcome::Unreachable),
        Err(e) if e.kind() == Some("not-found") => None,
        Err(e) => return Err(e),
    };
    match tls {
        Some(t) => {
            let cert = pem_file(&t.certificate);
            if current.as_deref() == Some(cert.as_bytes()) {
                return Ok(Outcome::Unchanged);
            }
            let ca = pem_file(&t.ca);
            let ca_changed = match c.pull(CA_PATH) {
                Ok(bytes) => bytes != ca.as_bytes(),
                Err(e) if e.kind() == Some("not-found") => true,
                Err(e) => return Err(e),
            };
            if ca_changed {
                push_mode(c, CA_PATH, &ca, CERT_MODE)?;
                update_ca_certificates(c)?;
            }
            push_mode(c, KEY_PATH, &pem_file(&t.private_key), KEY_MODE)?;
            push_mode(c, CERT_PATH, &cert, CERT_MODE)?;
            Ok(Outcome::Changed)
        }
        None if current.is_none() => Ok(Outcome::Unchanged),
        None => {
            remove(c, CERT_PATH)?;
            remove(c, KEY_PATH)?;
            remove(c, CA_PATH)?;
            update_ca_certificates(c)?;
            Ok(Outcome::Changed)
        }
    }
}

/// `nginx -s reload`, for when only the certificate changed (nginx.conf did not).
pub fn reload_nginx(c: &Container) -> Result<(), PebbleError> {
    c.exec(&["nginx", "-s", "reload"], &ExecOptions::default())
        .map(|_| ())
}

/// Brings the plan's log targets to `wanted` (the `logging` decision): one combined layer
/// `<container>-log-forwarding` when something differs, nothing otherwise. Pebble applies
/// log targets as the plan changes; no replan.
fn forward_logs(
    c: &Container,
    plan: &Layer,
    wanted: Option<&BTreeMap<String, LogTarget>>,
) -> Result<bool, PebbleError> {
    let Some(layer) = wanted.and_then(|w| crate::logging::log_layer(&plan.log_targets, w)) else {
        return Ok(false);
    };
    c.add_layer(&format!("{}-log-forwarding", c.name()), &layer, true)?;
    Ok(true)
}

/// Only the log targets (when the containers are not otherwise reconciled).
pub fn reconcile_log_targets(
    c: &Container,
    wanted: &BTreeMap<String, LogTarget>,
) -> Result<Outcome, PebbleError> {
    let Some(plan) = reachable(c.get_plan())? else {
        return Ok(Outcome::Unreachable);
    };
    Ok(if forward_logs(c, &plan, Some(wanted))? {
        Outcome::Changed
    } else {
        Outcome::Unchanged
    })
}

/// Brings nginx to `config` and its layer: the file is pushed only when it differs, the
/// layer added only when the plan lacks it, the service (re)started by a replan when the
/// layer changed or it is not running, and reloaded (`nginx -s reload`) when only the file
/// changed.
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
pub fn reconcile_nginx(
    c: &Container,
    config: &str,
    layer: &Layer,
    log_targets: Option<&BTreeMap<String, LogTarget>>,
) -> Result<Outcome, PebbleError> {
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
    let logs_changed = forward_logs(c, &plan, log_targets)?;
    if layer_changed || !running(c, NGINX)? {
        c.replan()?;
    } else if config_changed {
        let opts = ExecOptions::default();
        c.exec(&["nginx", "-s", "reload"], &opts)?;
    }
    Ok(match refused {
        Some(r) => Outcome::Refused(r),
        None if config_changed || layer_changed || logs_changed => Outcome::Changed,
        None => Outcome::Unchanged,
    })
}

/// Brings the exporter to its layer (pushing its web config, and with TLS its certificate
/// and key, with it) and running, and its log targets to `log_targets`. The layer's `_reload`
/// fingerprints the files, so an unchanged plan means unchanged files: no pull needed.
pub fn reconcile_exporter(
    c: &Container,
    tls: Option<&Serving>,
    log_targets: Option<&BTreeMap<String, LogTarget>>,
) -> Result<Outcome, PebbleError> {
    let layer = exporter_layer(tls);
    let Some(plan) = reachable(c.get_plan())? else {
        return Ok(Outcome::Unreachable);
    };
    let logs_changed = forward_logs(c, &plan, log_targets)?;
    if !plan_has(&plan, &layer) {
        match tls {
            Some(t) => {
                push_mode(c, EXPORTER_KEY_PATH, &pem_file(&t.private_key), KEY_MODE)?;
                push_mode(c, EXPORTER_CERT_PATH, &pem_file(&t.certificate), CERT_MODE)?;
                push(c, EXPORTER_WEB_CONFIG_PATH, EXPORTER_WEB_CONFIG_TLS)?;
            }
            None => {
                push(c, EXPORTER_WEB_CONFIG_PATH, EXPORTER_WEB_CONFIG)?;
                let had_tls = plan
                    .services
                    .get(EXPORTER)
                    .and_then(|s| s.command.as_deref())
                    .is_some_and(|cmd| cmd.contains("--nginx.scrape-uri=https"));
                if had_tls {
                    remove(c, EXPORTER_KEY_PATH)?;
                    remove(c, EXPORTER_CERT_PATH)?;
                }
            }
        }
        c.add_layer(EXPORTER, &layer, true)?;
        c.replan()?;
        return Ok(Outcome::Changed);
    }
    if !running(c, EXPORTER)? {
        c.replan()?;
        return Ok(Outcome::Changed);
    }
    Ok(if logs_changed {
        Outcome::Changed
    } else {
        Outcome::Unchanged
    })
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
