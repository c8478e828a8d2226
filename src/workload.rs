//! The workload containers over Pebble: nginx (config file, layer, reload) and its
//! Prometheus exporter. Each function does the fewest requests that bring the container to
//! the wanted state, and reports a container that cannot be reached rather than failing.

use juju_charm::pebble::{
    Check, CheckLevel, Container, ExecOptions, Layer, Override, PebbleError, PushOptions, Service,
    Startup, TcpCheck,
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

/// What happened to a container this hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Pebble did not answer: the container is not up yet.
    Unreachable,
    /// Everything was already as wanted.
    Unchanged,
    /// Something was changed (file, layer, service).
    Changed,
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

/// Brings nginx to `config` and its layer: the file is pushed only when it differs, the
/// layer added only when the plan lacks it, the service (re)started by a replan when the
/// layer changed or it is not running, and reloaded (`nginx -s reload`) when only the file
/// changed.
pub fn reconcile_nginx(c: &Container, config: &str, layer: &Layer) -> Result<Outcome, PebbleError> {
    let current = match c.pull(CONFIG_PATH) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.is_unreachable() => return Ok(Outcome::Unreachable),
        Err(e) if e.kind() == Some("not-found") => None,
        Err(e) => return Err(e),
    };
    let config_changed = current.as_deref() != Some(config.as_bytes());
    if config_changed {
        push(c, CONFIG_PATH, config)?;
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
    Ok(if config_changed || layer_changed {
        Outcome::Changed
    } else {
        Outcome::Unchanged
    })
}

/// Brings the exporter to its layer (pushing its web config, and with TLS its certificate
/// and key, with it) and running. The layer's `_reload` fingerprints the files, so an
/// unchanged plan means unchanged files: no pull needed.
pub fn reconcile_exporter(c: &Container, tls: Option<&Serving>) -> Result<Outcome, PebbleError> {
    let layer = exporter_layer(tls);
    let Some(plan) = reachable(c.get_plan())? else {
        return Ok(Outcome::Unreachable);
    };
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
    Ok(Outcome::Unchanged)
}
