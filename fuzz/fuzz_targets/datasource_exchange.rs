//! The `datasources` list a Loki or Mimir publishes over receive-datasource.
#![no_main]

use charm_interfaces::datasource_exchange::{is_type, DatasourceExchangeAppData, DATASOURCES_KEY};
use charm_interfaces::grafana_source::is_uid;
use juju_charm::Databag;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let bag: Databag = [(DATASOURCES_KEY.to_owned(), text)].into();
    if let Ok(d) = DatasourceExchangeAppData::from_databag(&bag) {
        assert!(d
            .datasources
            .iter()
            .all(|x| is_type(&x.ds_type) && is_uid(&x.uid) && is_uid(&x.grafana_uid)));
        // What was accepted is written sorted and reads back as the same entries.
        let mut again = DatasourceExchangeAppData::from_databag(&d.to_databag())
            .expect("our own output reads back")
            .datasources;
        let mut want = d.datasources.clone();
        again.sort();
        want.sort();
        assert_eq!(again, want);
    }
});
