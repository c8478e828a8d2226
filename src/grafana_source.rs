//! grafana-source: Tempo as a datasource in every related Grafana (pure planner).
//!
//! The leader offers one application-level datasource, Tempo's HTTP API at its most external
//! URL, and its description (`grafana_source_data`), as the Python coordinator does through
//! `grafana_k8s` v1. The description's `extra_fields` carry the correlations Grafana draws from
//! a trace: the service map and traces-to-metrics in a Prometheus/Mimir datasource,
//! traces-to-logs in a Loki one, each found among the datasources Loki and Mimir send over
//! receive-datasource ([`crate::datasource_exchange::find_correlated`]) and held by a Grafana
//! Tempo is related to. Units write nothing here.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::datasource_exchange::{find_correlated, ExchangeRelation};
use crate::reconcile::TempoUrls;
use charm_interfaces::grafana_source::{
    provider_app_databag, GrafanaReply, GrafanaSourceData, ReadError,
};
use juju_charm::{Databag, RelationId};

/// The endpoint.
pub const ENDPOINT: &str = charm_interfaces::grafana_source::DEFAULT_RELATION_NAME;
/// Grafana's datasource type for Tempo.
pub const SOURCE_TYPE: &str = "tempo";
/// Grafana's type of a Prometheus or Mimir datasource.
pub const PROMETHEUS: &str = "prometheus";
/// Grafana's type of a Loki datasource.
pub const LOKI: &str = "loki";

/// One grafana-source relation and what its Grafana answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrafanaRelation {
    /// The relation.
    pub relation: RelationId,
    /// Grafana's reply: `Ok(None)` until it answers; an invalid one is ignored (logged when
    /// read).
    pub reply: Result<Option<GrafanaReply>, ReadError>,
}

impl GrafanaRelation {
    /// Reads Grafana's application databag, with a warning naming the relation when it is
    /// invalid.
    pub fn read(relation: RelationId, app: &str, bag: &Databag) -> Self {
        let reply = GrafanaReply::from_databag(bag);
        if let Err(e) = &reply {
            tracing::warn!(relation = %relation, app = app, "ignoring what Grafana `{app}` wrote on {relation}: {e}; Tempo is still offered as a datasource there, without it");
        }
        Self { relation, reply }
    }

    /// The reply, when valid.
    pub fn valid(&self) -> Option<&GrafanaReply> {
        self.reply.as_ref().ok().and_then(Option::as_ref)
    }
}

/// The uids of the Grafanas Tempo is a datasource in (valid replies only).
pub fn connected_grafanas(grafanas: &[GrafanaRelation]) -> BTreeSet<&str> {
    grafanas
        .iter()
        .filter_map(GrafanaRelation::valid)
        .map(|r| r.grafana_uid.as_str())
        .collect()
}

/// A datasource Grafana links to, by uid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatasourceRef {
    /// Its uid.
    #[serde(rename = "datasourceUid")]
    pub datasource_uid: String,
}

/// A tag a correlated query filters on (empty value: the span's own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    /// The label.
    pub key: &'static str,
    /// Its value (`""`: taken from the span).
    pub value: &'static str,
}

/// Traces-to-logs in Grafana's Tempo datasource (`tracesToLogsV2`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TracesToLogs {
    /// The Loki datasource.
    #[serde(rename = "datasourceUid")]
    pub datasource_uid: String,
    /// Labels the query filters on.
    pub tags: Vec<Tag>,
    /// Filter by trace id.
    #[serde(rename = "filterByTraceID")]
    pub filter_by_trace_id: bool,
    /// Filter by span id.
    #[serde(rename = "filterBySpanID")]
    pub filter_by_span_id: bool,
    /// Use `query`.
    #[serde(rename = "customQuery")]
    pub custom_query: bool,
    /// The LogQL query.
    pub query: &'static str,
}

/// A named query of traces-to-metrics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricsQuery {
    /// Its name in Grafana's menu.
    pub name: &'static str,
    /// The PromQL query.
    pub query: &'static str,
}

/// Traces-to-metrics in Grafana's Tempo datasource (`tracesToMetrics`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TracesToMetrics {
    /// The Prometheus/Mimir datasource.
    #[serde(rename = "datasourceUid")]
    pub datasource_uid: String,
    /// Labels the queries filter on.
    pub tags: Vec<Tag>,
    /// The queries offered.
    pub queries: Vec<MetricsQuery>,
}

/// The `jsonData` of Tempo's datasource, in the Python coordinator's key order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtraFields {
    /// Always `GET`.
    #[serde(rename = "httpMethod")]
    pub http_method: &'static str,
    /// The service graph's metrics.
    #[serde(rename = "serviceMap", skip_serializing_if = "Option::is_none")]
    pub service_map: Option<DatasourceRef>,
    /// Traces to logs.
    #[serde(rename = "tracesToLogsV2", skip_serializing_if = "Option::is_none")]
    pub traces_to_logs: Option<TracesToLogs>,
    /// Traces to metrics.
    #[serde(rename = "tracesToMetrics", skip_serializing_if = "Option::is_none")]
    pub traces_to_metrics: Option<TracesToMetrics>,
}

const TOPOLOGY_TAGS: [Tag; 3] = [
    Tag {
        key: "juju_application",
        value: "",
    },
    Tag {
        key: "juju_model",
        value: "",
    },
    Tag {
        key: "juju_model_uuid",
        value: "",
    },
];

/// The correlations, when any datasource to correlate with is known: the service map from
/// the Prometheus/Mimir Tempo also remote-writes to (`remote_write_apps`), traces-to-logs
/// from a Loki, traces-to-metrics from any Prometheus/Mimir, each held by a Grafana Tempo is
/// a datasource in. `None` (written `null`) when there is none.
pub fn extra_fields(
    grafanas: &[GrafanaRelation],
    exchange: &[ExchangeRelation],
    remote_write_apps: &BTreeSet<String>,
) -> Option<ExtraFields> {
    let in_grafana = connected_grafanas(grafanas);
    let service_map = find_correlated(exchange, PROMETHEUS, &in_grafana, Some(remote_write_apps))
        .map(|d| DatasourceRef {
            datasource_uid: d.uid.clone(),
        });
    let traces_to_logs = find_correlated(exchange, LOKI, &in_grafana, None).map(|d| TracesToLogs {
        datasource_uid: d.uid.clone(),
        tags: TOPOLOGY_TAGS.to_vec(),
        filter_by_trace_id: false,
        filter_by_span_id: false,
        custom_query: true,
        query: "{ $$__tags } |= \"$${__span.traceId}\"",
    });
    let traces_to_metrics =
        find_correlated(exchange, PROMETHEUS, &in_grafana, None).map(|d| TracesToMetrics {
            datasource_uid: d.uid.clone(),
            tags: TOPOLOGY_TAGS
                .iter()
                .cloned()
                .chain([Tag {
                    key: "juju_unit",
                    value: "",
                }])
                .collect(),
            queries: vec![MetricsQuery {
                name: "All metrics",
                query: "{$$__tags}",
            }],
        });
    if service_map.is_none() && traces_to_logs.is_none() && traces_to_metrics.is_none() {
        return None;
    }
    Some(ExtraFields {
        http_method: "GET",
        service_map,
        traces_to_logs,
        traces_to_metrics,
    })
}

/// Who the datasource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source<'a> {
    /// Our model.
    pub model: &'a str,
    /// Our model's uuid.
    pub model_uuid: &'a str,
    /// Our application.
    pub app: &'a str,
}

/// The leader's application databag on every grafana-source relation.
pub fn plan(
    source: Source,
    grafanas: &[GrafanaRelation],
    exchange: &[ExchangeRelation],
    remote_write_apps: &BTreeSet<String>,
    urls: &TempoUrls,
) -> Vec<(RelationId, Databag)> {
    if grafanas.is_empty() {
        return Vec::new();
    }
    let data = GrafanaSourceData {
        model: source.model.to_owned(),
        model_uuid: source.model_uuid.to_owned(),
        application: source.app.to_owned(),
        source_type: SOURCE_TYPE.to_owned(),
        extra_fields: extra_fields(grafanas, exchange, remote_write_apps),
        secure_extra_fields: None,
    };
    let bag = match provider_app_databag(&urls.http_api(), &data) {
        Ok(bag) => bag,
        Err(e) => {
            // Strings, booleans and derived structs: cannot happen.
            tracing::error!("cannot write the grafana-source data: {e}");
            return Vec::new();
        }
    };
    grafanas
        .iter()
        .map(|g| (g.relation.clone(), bag.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasource_exchange::tests::exchange;

    fn grafana(id: u32, uid: &str) -> GrafanaRelation {
        GrafanaRelation {
            relation: RelationId::new(ENDPOINT, id),
            reply: Ok(Some(GrafanaReply {
                grafana_uid: uid.into(),
                datasource_uids: Default::default(),
                grafana_base_url: None,
                app_datasource_uid: Some("juju_cos_u_tempo".into()),
            })),
        }
    }

    fn urls(external: Option<&str>) -> TempoUrls {
        TempoUrls {
            direct: "http://tempo.cos.svc.cluster.local".into(),
            tls: false,
            external: external.map(str::to_owned),
        }
    }

    const SOURCE: Source = Source {
        model: "cos",
        model_uuid: "u",
        app: "tempo",
    };

    fn data(bags: &[(RelationId, Databag)]) -> serde_json::Value {
        serde_json::from_str(&bags[0].1["grafana_source_data"]).unwrap()
    }

    #[test]
    fn offers_the_most_external_http_api_and_no_extras_alone() {
        let g = [grafana(40, "g0")];
        let bags = plan(SOURCE, &g, &[], &BTreeSet::new(), &urls(None));
        assert_eq!(bags.len(), 1);
        assert_eq!(
            bags[0].1["grafana_source_app_host"],
            "http://tempo.cos.svc.cluster.local:3200"
        );
        assert_eq!(data(&bags)["extra_fields"], serde_json::Value::Null);
        let bags = plan(
            SOURCE,
            &g,
            &[],
            &BTreeSet::new(),
            &urls(Some("https://traces.example.org")),
        );
        assert_eq!(
            bags[0].1["grafana_source_app_host"],
            "https://traces.example.org:3200"
        );
        assert!(plan(SOURCE, &[], &[], &BTreeSet::new(), &urls(None)).is_empty());
    }

    #[test]
    fn correlates_only_with_datasources_in_our_grafanas() {
        let g = [grafana(40, "g0")];
        let loki = exchange(
            50,
            "loki",
            &[(LOKI, "loki-in-other", "g9"), (LOKI, "loki-ds", "g0")],
        );
        let mimir = exchange(51, "mimir", &[(PROMETHEUS, "mimir-ds", "g0")]);
        let rw: BTreeSet<String> = ["mimir".to_owned()].into();
        let x = extra_fields(&g, &[loki.clone(), mimir.clone()], &rw).unwrap();
        assert_eq!(x.service_map.unwrap().datasource_uid, "mimir-ds");
        assert_eq!(x.traces_to_logs.unwrap().datasource_uid, "loki-ds");
        assert_eq!(x.traces_to_metrics.unwrap().datasource_uid, "mimir-ds");
        // No remote-write to that Mimir: no service map, traces-to-metrics still.
        let x = extra_fields(&g, &[loki.clone(), mimir.clone()], &BTreeSet::new()).unwrap();
        assert!(x.service_map.is_none() && x.traces_to_metrics.is_some());
        // Another Grafana: nothing to correlate with.
        assert_eq!(
            extra_fields(&[grafana(40, "g7")], &[loki, mimir], &rw),
            None
        );
    }

    #[test]
    fn an_invalid_grafana_reply_is_not_a_connected_grafana() {
        let mut bad = grafana(41, "g0");
        bad.reply = Err(ReadError::Invalid {
            key: "grafana_uid",
            problem: "x".into(),
        });
        let loki = exchange(50, "loki", &[(LOKI, "loki-ds", "g0")]);
        assert_eq!(
            extra_fields(&[bad.clone()], &[loki], &BTreeSet::new()),
            None
        );
        // The offer is still written to it: it carries nothing from Grafana.
        assert_eq!(
            plan(SOURCE, &[bad], &[], &BTreeSet::new(), &urls(None)).len(),
            1
        );
    }
}
