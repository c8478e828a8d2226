//! catalogue: Tempo's entry in the COS catalogue (pure planner), as the Python coordinator
//! lists itself: no UI (so no `url`), its API endpoints at the most external URL.

use crate::reconcile::TempoUrls;
use crate::urls::TEMPO_HTTP_PORT;
use charm_interfaces::catalogue::CatalogueItem;
use juju_charm::{Databag, RelationId};

/// The endpoint.
pub const ENDPOINT: &str = charm_interfaces::catalogue::DEFAULT_RELATION_NAME;

/// The entry for application `app`.
pub fn item(app: &str, urls: &TempoUrls) -> CatalogueItem {
    let base = format!("{}:{TEMPO_HTTP_PORT}", urls.most_external());
    CatalogueItem {
        name: format!("Tempo ({app})"),
        url: String::new(),
        icon: "transit-connection-variant".into(),
        description: "Tempo is a distributed tracing backend by Grafana, supporting Jaeger, \
                      Zipkin, and OpenTelemetry protocols."
            .into(),
        api_docs: "https://grafana.com/docs/tempo/latest/api_docs/".into(),
        api_endpoints: Some(
            [
                ("Search traces", "/api/search?<params>"),
                ("Query traces (by ID)", "/api/traces/<traceID>"),
                ("Status", "/status"),
            ]
            .into_iter()
            .map(|(name, path)| (name.to_owned(), format!("{base}{path}")))
            .collect(),
        ),
    }
}

/// The leader's application databag on every catalogue relation.
pub fn plan(app: &str, relations: &[RelationId], urls: &TempoUrls) -> Vec<(RelationId, Databag)> {
    if relations.is_empty() {
        return Vec::new();
    }
    let bag = item(app, urls).to_databag();
    relations.iter().map(|r| (r.clone(), bag.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_follow_the_most_external_url_and_there_is_no_url() {
        let rels = [RelationId::new(ENDPOINT, 60)];
        let mut urls = TempoUrls {
            direct: "http://tempo.cos.svc.cluster.local".into(),
            external: None,
        };
        let bags = plan("tempo", &rels, &urls);
        let bag = &bags[0].1;
        assert_eq!(bag["name"], "Tempo (tempo)");
        assert!(!bag.contains_key("url"));
        assert!(bag["api_endpoints"]
            .contains("\"Status\": \"http://tempo.cos.svc.cluster.local:3200/status\""));
        urls.external = Some("https://traces.example.org".into());
        let bags = plan("tempo", &rels, &urls);
        assert!(bags[0].1["api_endpoints"]
            .starts_with("{\"Search traces\": \"https://traces.example.org:3200/api/search?"));
        assert!(plan("tempo", &[], &urls).is_empty());
    }
}
