//! `blackbox_probes` (blackbox_exporter_k8s v0, LIBPATCH 3), the provider side: the
//! application keys `scrape_metadata`, `scrape_probes` and `scrape_modules`, byte for byte
//! as the library's pydantic `DatabagModel.dump` writes them (`json.dumps` of each field;
//! unset optional fields as `null`).

use crate::prometheus_scrape::ScrapeMetadata;
use crate::pyjson::push_str;
use juju_charm::Databag;

/// The relation's default endpoint name.
pub const DEFAULT_RELATION_NAME: &str = "probes";

/// One probe job: a blackbox module over static targets. The library prefixes the job's name
/// with `juju_<topology identifier>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The job's own name (`None`: the prefix alone, as the Python coordinator sends).
    pub job_name: Option<String>,
    /// The blackbox module (`http_2xx`).
    pub module: String,
    /// The URLs probed.
    pub targets: Vec<String>,
}

/// The provider's application databag.
pub fn app_databag(metadata: &ScrapeMetadata, probes: &[Probe]) -> Databag {
    let prefix = format!("juju_{}", metadata.identifier());
    let mut out = String::from("[");
    for (i, p) in probes.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let name = match &p.job_name {
            Some(n) if !n.is_empty() => format!("{prefix}_{n}"),
            _ => prefix.clone(),
        };
        out.push_str("{\"job_name\": ");
        push_str(&mut out, &name);
        out.push_str(", \"metrics_path\": null, \"params\": {\"module\": [");
        push_str(&mut out, &p.module);
        out.push_str("]}, \"static_configs\": [{\"targets\": [");
        for (j, t) in p.targets.iter().enumerate() {
            if j > 0 {
                out.push_str(", ");
            }
            push_str(&mut out, t);
        }
        out.push_str("], \"labels\": null}]}");
    }
    out.push(']');
    [
        ("scrape_metadata".to_owned(), metadata.to_json()),
        ("scrape_probes".to_owned(), out),
        ("scrape_modules".to_owned(), "{}".to_owned()),
    ]
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_are_the_library_bytes() {
        let m = ScrapeMetadata {
            model: "cos".into(),
            model_uuid: "5f0c7e2a-3b9d-4c61-8a47-0d2e6b1f9a53".into(),
            application: "tempo".into(),
            unit: "tempo/0".into(),
            charm_name: "tempo-coordinator-k8s".into(),
        };
        let bag = app_databag(
            &m,
            &[Probe {
                job_name: None,
                module: "http_2xx".into(),
                targets: vec!["http://tempo.cos.svc.cluster.local:3200/ready".into()],
            }],
        );
        assert_eq!(
            bag["scrape_probes"],
            r#"[{"job_name": "juju_cos_5f0c7e2a_tempo", "metrics_path": null, "params": {"module": ["http_2xx"]}, "static_configs": [{"targets": ["http://tempo.cos.svc.cluster.local:3200/ready"], "labels": null}]}]"#
        );
        assert_eq!(bag["scrape_modules"], "{}");
        assert_eq!(bag["scrape_metadata"], m.to_json());
    }
}
