//! The workload containers over Pebble: nginx (config file, layer, reload) and its
//! Prometheus exporter. Each function does the fewest requests that bring the container to
//! the wanted state, and reports a container that cannot be reached rather than failing.

use std::collections::BTreeMap;

use juju_charm::pebble::{
    Check, CheckLevel, Container, ExecOptions, Layer, LogTarget, Override, PebbleError,
    PushOptions, Service, Startup, TcpCheck,
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
    let logs_changed = forward_logs(c, &plan, log_targets)?;
    if layer_changed || !running(c, NGINX)? {
        c.replan()?;
    } else if config_changed {
        let opts = ExecOptions::default();
        c.exec(&["nginx", "-s", "reload"], &opts)?;
    }
    Ok(if config_changed || layer_changed || logs_changed {
        Outcome::Changed
    } else {
        Outcome::Unchanged
    })
}

/// Brings the exporter to its layer (pushing its web config with it) and running.
pub fn reconcile_exporter(
    c: &Container,
    log_targets: Option<&BTreeMap<String, LogTarget>>,
) -> Result<Outcome, PebbleError> {
    let layer = exporter_layer();
    let Some(plan) = reachable(c.get_plan())? else {
        return Ok(Outcome::Unreachable);
    };
    let logs_changed = forward_logs(c, &plan, log_targets)?;
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
    Ok(if logs_changed {
        Outcome::Changed
    } else {
        Outcome::Unchanged
    })
}
