//! What Grafana writes back on grafana-source (and, from the same bytes, a provider's offer
//! and a catalogue item as the other sides read them): keys and values split at NUL bytes.
#![no_main]

use charm_interfaces::catalogue::CatalogueItem;
use charm_interfaces::grafana_source::{is_uid, GrafanaReply, SourceOffer};
use juju_charm::Databag;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let mut bag = Databag::new();
    for key in [
        "grafana_uid",
        "datasource_uids",
        "grafana_base_url",
        "app_datasource_uid",
    ] {
        if let Some(v) = parts.next() {
            bag.insert(key.to_owned(), v.to_owned());
        }
    }
    while let (Some(k), Some(v)) = (parts.next(), parts.next()) {
        bag.insert(k.to_owned(), v.to_owned());
    }
    if let Ok(Some(reply)) = GrafanaReply::from_databag(&bag) {
        // Only uids of the grammar get through, and what was accepted reads back the same.
        assert!(is_uid(&reply.grafana_uid));
        assert!(reply.datasource_uids.values().all(|u| is_uid(u)));
        assert!(reply.app_datasource_uid.as_deref().is_none_or(is_uid));
        assert_eq!(
            GrafanaReply::from_databag(&reply.to_databag()),
            Ok(Some(reply.clone()))
        );
    }
    let _ = SourceOffer::from_databag(&bag);
    if let Ok(item) = CatalogueItem::from_databag(&bag) {
        assert!(CatalogueItem::from_databag(&item.to_databag()).is_ok());
    }
});
