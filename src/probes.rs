//! probes (blackbox_probes): the leader asks the blackbox exporter to probe Tempo's `/ready`
//! at the most external URL (Traefik's once it answered), with the library's bytes. Written
//! on every reconcile, where the Python charm writes only on some events (a new ingress
//! leaves it probing the old URL until the next probes or leader event).

use charm_interfaces::blackbox_probes::{app_databag, Probe};

use super::inputs::Inputs;
use super::reconcile::{Plan, TempoUrls};
use super::scrape::metadata;

/// The blackbox module the probe uses.
pub const MODULE: &str = "http_2xx";

/// The leader's probes on every probes relation.
pub fn plan(i: &Inputs, urls: &TempoUrls, plan: &mut Plan) {
    if !i.leader || i.probes.is_empty() {
        return;
    }
    let bag = app_databag(
        &metadata(i),
        &[Probe {
            job_name: None,
            module: MODULE.into(),
            targets: vec![format!("{}/ready", urls.http_api())],
        }],
    );
    for r in &i.probes {
        plan.write_app(r, bag.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::tests::inputs;
    use juju_charm::RelationId;

    #[test]
    fn probes_follow_the_most_external_url_and_only_the_leader_writes() {
        let r = RelationId::new("probes", 73);
        for (external, target) in [
            (None, "http://tempo.cos.svc.cluster.local:3200/ready"),
            (
                Some("https://traces.example.org"),
                "https://traces.example.org:3200/ready",
            ),
        ] {
            let mut i = inputs(true);
            i.probes = vec![r.clone()];
            let urls = TempoUrls {
                direct: "http://tempo.cos.svc.cluster.local".into(),
                external: external.map(str::to_owned),
            };
            let mut p = crate::reconcile::reconcile(&i);
            p.app_bags.clear();
            plan(&i, &urls, &mut p);
            let probes: serde_json::Value =
                serde_json::from_str(&p.app_bags[&r]["scrape_probes"]).unwrap();
            assert_eq!(probes[0]["static_configs"][0]["targets"][0], target);
            assert_eq!(probes[0]["params"]["module"][0], MODULE);
            i.leader = false;
            p.app_bags.clear();
            plan(&i, &urls, &mut p);
            assert!(p.app_bags.is_empty());
        }
    }
}
