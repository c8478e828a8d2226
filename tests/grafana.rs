//! Traces in Grafana: grafana-source, receive-datasource and catalogue against bad remote data
//! and the hook-tool budget, on the recorded `full-cos` state (tests/conformance/cos) changed
//! where each test says. What is not changed must still equal what Python wrote there.

mod common;

use charm_interfaces::datasource_exchange::{is_type, DatasourceExchangeAppData};
use charm_interfaces::grafana_source::{is_uid, GrafanaReply};
use common::recorded::{self, run};
use juju_charm::Databag;
use proptest::prelude::*;
use serde_json::{json, Value};

fn full_cos() -> Value {
    recorded::cases("cos", 32)
        .into_iter()
        .find(|c| c["case"]["id"] == "full-cos")
        .expect("full-cos is recorded")
}

fn relation_mut(case: &mut Value, id: u64) -> &mut Value {
    case["case"]["relations"]
        .as_array_mut()
        .expect("relations")
        .iter_mut()
        .find(|r| r["id"] == json!(id))
        .expect("relation")
}

fn app_bag(r: &charm_sim::Report, id: u32) -> serde_json::Map<String, Value> {
    serde_json::to_value(&r.relation(id).expect("relation").local_app)
        .expect("bag")
        .as_object()
        .cloned()
        .unwrap_or_default()
}

fn recorded_bag(case: &Value, key: &str) -> serde_json::Map<String, Value> {
    case["expect"]["relations"][key]["local_app"]
        .as_object()
        .cloned()
        .expect("recorded bag")
}

fn extra_fields(bag: &serde_json::Map<String, Value>) -> Value {
    let data: Value =
        serde_json::from_str(bag["grafana_source_data"].as_str().expect("string")).expect("JSON");
    data["extra_fields"].clone()
}

fn warned_about(r: &charm_sim::Report, relation: &str) -> bool {
    r.logs
        .iter()
        .any(|l| l.level == "WARNING" && l.message.contains(relation))
}

#[test]
fn a_malformed_grafana_reply_skips_that_grafana_and_serves_the_others() {
    let mut case = full_cos();
    let good = relation_mut(&mut case, 40).clone();
    let mut bad = good.clone();
    bad["id"] = json!(41);
    bad["remote_app"] = json!("grafana-b");
    bad["remote_app_data"] = json!({
        "grafana_uid": "juju_cos_x_grafana-b_0",
        "datasource_uids": "{\"tempo/0\": ",
        "app_datasource_uid": "juju_cos_x_tempo",
    });
    case["case"]["relations"]
        .as_array_mut()
        .expect("relations")
        .push(bad);
    let r = run(&case);
    assert_eq!(r.exit_code, 0);
    assert!(warned_about(&r, "grafana-source:41"), "{:?}", r.logs);
    // The good Grafana is served exactly as Python serves it, correlations included.
    assert_eq!(app_bag(&r, 40), recorded_bag(&case, "grafana-source:40"));
    // The bad one is still offered Tempo (nothing of its reply is used).
    assert_eq!(app_bag(&r, 41), app_bag(&r, 40));
    // Only the good Grafana's uid is published to Loki and Mimir.
    let published = app_bag(&r, 50)["datasources"].clone();
    assert!(published
        .as_str()
        .is_some_and(|s| s.contains("_grafana_0") && !s.contains("grafana-b")));
    assert_eq!(app_bag(&r, 60), recorded_bag(&case, "catalogue:60"));
    assert_eq!(
        r.unit_status.as_ref().map(|s| s.status.as_str()),
        Some("active")
    );
}

#[test]
fn a_grafana_reply_of_the_wrong_shape_only_loses_the_correlations() {
    for (key, value) in [
        ("grafana_uid", "juju cos; rm -rf /"),
        ("grafana_base_url", "javascript:alert(1)"),
        ("app_datasource_uid", "\"quoted\""),
        ("datasource_uids", "[\"tempo/0\"]"),
    ] {
        let mut case = full_cos();
        relation_mut(&mut case, 40)["remote_app_data"][key] = json!(value);
        let r = run(&case);
        assert_eq!(r.exit_code, 0, "{key}");
        assert!(warned_about(&r, "grafana-source:40"), "{key}: {:?}", r.logs);
        let bag = app_bag(&r, 40);
        let want = recorded_bag(&case, "grafana-source:40");
        assert_eq!(
            bag["grafana_source_app_host"],
            want["grafana_source_app_host"]
        );
        // No valid Grafana: nothing to correlate with, and no uid to publish.
        assert_eq!(extra_fields(&bag), Value::Null, "{key}");
        assert_eq!(app_bag(&r, 50)["datasources"], "[]");
        assert_eq!(app_bag(&r, 60), recorded_bag(&case, "catalogue:60"));
    }
}

#[test]
fn a_malformed_datasource_list_skips_that_peer_and_serves_the_others() {
    for bad in [
        "not json",
        "{\"type\": \"loki\"}",
        "[{\"type\":\"loki\",\"uid\":\"a uid with spaces\",\"grafana_uid\":\"g\"}]",
        "[{\"type\":\"loki\",\"uid\":[],\"grafana_uid\":\"g\"}]",
    ] {
        let mut case = full_cos();
        relation_mut(&mut case, 50)["remote_app_data"]["datasources"] = json!(bad);
        let r = run(&case);
        assert_eq!(r.exit_code, 0, "{bad}");
        assert!(
            warned_about(&r, "receive-datasource:50"),
            "{bad}: {:?}",
            r.logs
        );
        // Mimir's datasource still correlates; Loki's is gone.
        let x = extra_fields(&app_bag(&r, 40));
        assert!(
            x.get("serviceMap").is_some() && x.get("tracesToMetrics").is_some(),
            "{bad}"
        );
        assert!(x.get("tracesToLogsV2").is_none(), "{bad}");
        // Both peers still get Tempo's datasources.
        assert_eq!(
            app_bag(&r, 50)["datasources"],
            app_bag(&r, 51)["datasources"]
        );
        assert_ne!(app_bag(&r, 50)["datasources"], "[]");
    }
}

/// Each new input is read once and each databag written in one `relation-set`, by the leader
/// only; a non-leader makes no call on these relations at all.
#[test]
fn one_read_and_one_write_per_relation_and_nothing_on_a_non_leader() {
    let case = full_cos();
    let r = run(&case);
    let on = |tool: &str, rel: &str| {
        r.calls
            .iter()
            .filter(|c| c.tool == tool && c.args.iter().any(|a| a == rel))
            .count()
    };
    for rel in [
        "grafana-source:40",
        "receive-datasource:50",
        "receive-datasource:51",
    ] {
        assert_eq!(on("relation-get", rel), 1, "{rel}");
        assert_eq!(on("relation-list", rel), 1, "{rel}: the remote app's name");
        assert_eq!(on("relation-set", rel), 1, "{rel}");
    }
    assert_eq!(on("relation-get", "catalogue:60"), 0);
    assert_eq!(on("relation-list", "catalogue:60"), 0);
    assert_eq!(on("relation-set", "catalogue:60"), 1);
    for endpoint in ["grafana-source", "receive-datasource", "catalogue"] {
        let ids = r
            .calls
            .iter()
            .filter(|c| c.tool == "relation-ids" && c.args.iter().any(|a| a == endpoint))
            .count();
        assert_eq!(ids, 1, "{endpoint}");
    }
    let mut case = full_cos();
    case["case"]["leader"] = json!(false);
    let r = run(&case);
    assert_eq!(r.exit_code, 0);
    for c in &r.calls {
        let touches = c.args.iter().any(|a| {
            a.starts_with("grafana-source")
                || a.starts_with("receive-datasource")
                || a.starts_with("catalogue")
        });
        assert!(!touches, "a non-leader called {} {:?}", c.tool, c.args);
    }
}

/// Mostly uids, sometimes anything.
fn uid_like() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[A-Za-z0-9_.-]{0,10}", 1 => any::<String>()]
}

/// A value Grafana or a datasource peer might write: one of the recorded shapes with a part
/// swapped for arbitrary text, or arbitrary text.
fn remote_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        uid_like(),
        "[ -~]{0,12}",
        ("[a-z_]{0,8}", uid_like()).prop_map(|(t, uid)| format!(
            r#"[{{"type":"{t}","uid":{},"grafana_uid":"g"}}]"#,
            json!(uid)
        )),
        uid_like().prop_map(|u| format!("{{\"tempo/0\": {}}}", json!(u))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Whatever Grafana writes, reading it never panics, and what is accepted holds only
    /// uids of the grammar and reads back the same from what we would write.
    #[test]
    fn any_grafana_reply_is_read_safely(uid in remote_value(), uids in remote_value(),
                                        base in remote_value(), app in remote_value()) {
        let bag: Databag = [
            ("grafana_uid", uid), ("datasource_uids", uids),
            ("grafana_base_url", base), ("app_datasource_uid", app),
        ].into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        if let Ok(Some(r)) = GrafanaReply::from_databag(&bag) {
            prop_assert!(is_uid(&r.grafana_uid));
            prop_assert!(r.datasource_uids.values().all(|u| is_uid(u)));
            prop_assert!(r.app_datasource_uid.as_deref().is_none_or(is_uid));
            prop_assert_eq!(GrafanaReply::from_databag(&r.to_databag()), Ok(Some(r.clone())));
        }
    }

    /// Whatever a Loki or Mimir publishes, reading it never panics, and what is accepted is
    /// of the grammar and reads back from our own writing.
    #[test]
    fn any_datasource_list_is_read_safely(raw in remote_value()) {
        let bag: Databag = [("datasources".to_owned(), raw)].into();
        if let Ok(d) = DatasourceExchangeAppData::from_databag(&bag) {
            prop_assert!(d.datasources.iter().all(|x| is_type(&x.ds_type) && is_uid(&x.uid) && is_uid(&x.grafana_uid)));
            let back = DatasourceExchangeAppData::from_databag(&d.to_databag());
            prop_assert_eq!(back.map(|b| b.datasources.len()), Ok(d.datasources.len()));
        }
    }
}
