//! receive-datasource (`grafana_datasource_exchange`): the datasources Loki and Mimir are
//! known by in Grafana, read for the correlations of [`crate::grafana_source`], and ours
//! published back (pure planner).
//!
//! Ours is the application-level datasource each related Grafana reports
//! (`app_datasource_uid`): `{"type": "tempo", "uid": <it>, "grafana_uid": <that Grafana>}`.
//! The Python coordinator reads the per-unit uids instead, which Grafana v1 leaves empty for
//! an application-level datasource, and so publishes `[]` (README, "Where we differ").

use std::collections::BTreeSet;

use crate::grafana_source::{GrafanaRelation, SOURCE_TYPE};
use charm_interfaces::datasource_exchange::{
    DatasourceExchangeAppData, GrafanaDatasource, ReadError,
};
use juju_charm::{Databag, RelationId};

/// The endpoint.
pub const ENDPOINT: &str = "receive-datasource";

/// One receive-datasource relation whose remote application is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeRelation {
    /// The relation.
    pub relation: RelationId,
    /// The remote application.
    pub app: String,
    /// What it publishes; an invalid or missing list is ignored (logged when read).
    pub data: Result<DatasourceExchangeAppData, ReadError>,
}

impl ExchangeRelation {
    /// Reads the remote application's databag, with a warning naming the relation when its
    /// list is invalid (a missing one is only not published yet).
    pub fn read(relation: RelationId, app: String, bag: &Databag) -> Self {
        let data = DatasourceExchangeAppData::from_databag(bag);
        match &data {
            Err(ReadError::Missing) | Ok(_) => {}
            Err(e) => {
                tracing::warn!(relation = %relation, app = %app, "ignoring the datasources `{app}` publishes on {relation}: {e}; Tempo's are still published there")
            }
        }
        Self {
            relation,
            app,
            data,
        }
    }
}

/// The first datasource of `ds_type` that a Grafana in `grafanas` holds, looking at the
/// relations in id order and each list in its order (as coordinated-workers'
/// `TelemetryCorrelation.find_correlated_datasource`); with `only_apps`, only among the
/// applications named there.
pub fn find_correlated<'a>(
    exchange: &'a [ExchangeRelation],
    ds_type: &str,
    grafanas: &BTreeSet<&str>,
    only_apps: Option<&BTreeSet<String>>,
) -> Option<&'a GrafanaDatasource> {
    let mut relations: Vec<&ExchangeRelation> = exchange
        .iter()
        .filter(|x| only_apps.is_none_or(|apps| apps.contains(&x.app)))
        .collect();
    relations.sort_by_key(|x| x.relation.id);
    relations
        .into_iter()
        .filter_map(|x| x.data.as_ref().ok())
        .flat_map(|d| &d.datasources)
        .find(|d| d.ds_type == ds_type && grafanas.contains(d.grafana_uid.as_str()))
}

/// Our datasources: the application-level one of each Grafana that reported it.
pub fn ours(grafanas: &[GrafanaRelation]) -> DatasourceExchangeAppData {
    DatasourceExchangeAppData {
        datasources: grafanas
            .iter()
            .filter_map(GrafanaRelation::valid)
            .filter_map(|r| {
                Some(GrafanaDatasource {
                    ds_type: SOURCE_TYPE.to_owned(),
                    uid: r.app_datasource_uid.clone()?,
                    grafana_uid: r.grafana_uid.clone(),
                })
            })
            .collect(),
    }
}

/// The leader's application databag on every receive-datasource relation.
pub fn plan(
    exchange: &[ExchangeRelation],
    grafanas: &[GrafanaRelation],
) -> Vec<(RelationId, Databag)> {
    if exchange.is_empty() {
        return Vec::new();
    }
    let bag = ours(grafanas).to_databag();
    exchange
        .iter()
        .map(|x| (x.relation.clone(), bag.clone()))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use charm_interfaces::grafana_source::GrafanaReply;

    fn grafana(id: u32, uid: &str, app_uid: Option<&str>) -> GrafanaRelation {
        GrafanaRelation {
            relation: RelationId::new("grafana-source", id),
            reply: Ok(Some(GrafanaReply {
                grafana_uid: uid.into(),
                datasource_uids: [(juju_charm::UnitName::new("tempo", 0), "per-unit".into())]
                    .into(),
                grafana_base_url: None,
                app_datasource_uid: app_uid.map(str::to_owned),
            })),
        }
    }

    /// A receive-datasource relation whose remote sent `ds` (type, uid, Grafana's uid).
    pub(crate) fn exchange(id: u32, app: &str, ds: &[(&str, &str, &str)]) -> ExchangeRelation {
        ExchangeRelation {
            relation: RelationId::new(ENDPOINT, id),
            app: app.into(),
            data: Ok(DatasourceExchangeAppData {
                datasources: ds
                    .iter()
                    .map(|(t, u, g)| GrafanaDatasource {
                        ds_type: (*t).into(),
                        uid: (*u).into(),
                        grafana_uid: (*g).into(),
                    })
                    .collect(),
            }),
        }
    }

    #[test]
    fn publishes_the_app_level_uid_of_each_grafana_never_the_per_unit_one() {
        let g = [
            grafana(41, "g1", Some("tempo-app")),
            grafana(40, "g0", Some("tempo-app")),
            grafana(42, "g2", None),
        ];
        let x = [exchange(50, "loki", &[]), exchange(51, "mimir", &[])];
        let bags = plan(&x, &g);
        assert_eq!(bags.len(), 2);
        assert_eq!(
            bags[0].1["datasources"],
            r#"[{"type":"tempo","uid":"tempo-app","grafana_uid":"g1"},{"type":"tempo","uid":"tempo-app","grafana_uid":"g0"}]"#
        );
        assert_eq!(bags[0].1, bags[1].1);
        // No Grafana yet: an empty list, as Python publishes.
        assert_eq!(plan(&x, &[])[0].1["datasources"], "[]");
        assert!(plan(&[], &g).is_empty());
    }

    #[test]
    fn correlation_looks_in_relation_id_order_and_skips_bad_lists() {
        let g0: BTreeSet<&str> = ["g0"].into();
        let mut bad = exchange(49, "bad", &[("loki", "bad-ds", "g0")]);
        bad.data = Err(ReadError::Invalid {
            problem: "x".into(),
        });
        let x = [
            exchange(52, "loki-b", &[("loki", "b-ds", "g0")]),
            bad,
            exchange(
                50,
                "loki-a",
                &[("loki", "other", "g9"), ("loki", "a-ds", "g0")],
            ),
        ];
        assert_eq!(
            find_correlated(&x, "loki", &g0, None).map(|d| d.uid.as_str()),
            Some("a-ds")
        );
        let only_b: BTreeSet<String> = ["loki-b".to_owned()].into();
        assert_eq!(
            find_correlated(&x, "loki", &g0, Some(&only_b)).map(|d| d.uid.as_str()),
            Some("b-ds")
        );
        assert_eq!(find_correlated(&x, "prometheus", &g0, None), None);
        assert_eq!(find_correlated(&x, "loki", &BTreeSet::new(), None), None);
    }
}
