//! A Loki unit's `endpoint`: never panics; an accepted URL is http(s) with a host, its
//! normal form is a fixed point, and it writes back to the same databag.
#![no_main]

use charm_interfaces::loki_push_api::{LokiPushApiProviderUnitData, PushUrl};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    let bag = [("endpoint".to_owned(), s.to_owned())].into();
    if let Ok(Some(d)) = LokiPushApiProviderUnitData::from_databag(&bag) {
        let again = PushUrl::parse(d.url.as_str()).expect("normal form parses");
        assert_eq!(again, d.url);
        assert!(!d.url.host().is_empty());
        assert!(d.url.as_str().starts_with("http://") || d.url.as_str().starts_with("https://"));
        let back = LokiPushApiProviderUnitData::from_databag(&d.to_databag());
        assert_eq!(back, Ok(Some(d)));
    }
    let _ = PushUrl::parse(s);
});
