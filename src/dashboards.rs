//! grafana-dashboard (grafana_dashboard): the leader sends our dashboards
//! (`src/grafana_dashboards/*.json`, compressed once at build time by build.rs) in the
//! library's envelope. The envelope's uuid is derived from the templates, so an unchanged
//! set of dashboards rewrites the same bytes (Juju sees no change, Grafana is not woken).

use charm_interfaces::grafana_dashboard::{app_databag, Dashboard, DashboardTopology};

use super::inputs::Inputs;
use super::reconcile::Plan;
use super::scrape::CHARM_NAME;

include!(concat!(env!("OUT_DIR"), "/dashboards.rs"));

/// The leader's dashboards on every grafana-dashboard relation.
pub fn plan(i: &Inputs, plan: &mut Plan) {
    if !i.leader || i.dashboards.is_empty() {
        return;
    }
    let unit = i.unit.to_string();
    let bag = app_databag(
        CHARM_NAME,
        DASHBOARDS,
        &DashboardTopology {
            model: &i.model,
            model_uuid: &i.model_uuid,
            application: &i.app,
            unit: &unit,
        },
    );
    for r in &i.dashboards {
        plan.write_app(r, bag.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::tests::inputs;
    use juju_charm::RelationId;

    #[test]
    fn the_leader_sends_every_dashboard_file() {
        let r = RelationId::new("grafana-dashboard", 71);
        let mut i = inputs(true);
        i.dashboards = vec![r.clone()];
        let mut p = crate::reconcile::reconcile(&i);
        p.app_bags.clear();
        plan(&i, &mut p);
        let v: serde_json::Value = serde_json::from_str(&p.app_bags[&r]["dashboards"]).unwrap();
        let keys: Vec<&String> = v["templates"].as_object().unwrap().keys().collect();
        let files = std::fs::read_dir(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/grafana_dashboards"
        ))
        .unwrap()
        .count();
        assert_eq!(keys.len(), files);
        assert!(keys.iter().all(|k| k.starts_with("file:")));
        i.leader = false;
        p.app_bags.clear();
        plan(&i, &mut p);
        assert!(p.app_bags.is_empty());
    }
}
