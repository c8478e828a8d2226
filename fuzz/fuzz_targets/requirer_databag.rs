//! The requirer's databag parsing: keys and values split from the input at NUL bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use charm_interfaces::tempo_api::{HttpUrl, TempoApiAppData};
use juju_charm::Databag;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let mut bag = Databag::new();
    for key in ["http", "grpc"] {
        if let Some(v) = parts.next() {
            bag.insert(key.to_owned(), v.to_owned());
        }
    }
    while let (Some(k), Some(v)) = (parts.next(), parts.next()) {
        bag.insert(k.to_owned(), v.to_owned());
    }
    if let Ok(Some(d)) = TempoApiAppData::from_databag(&bag) {
        // What was accepted re-serialises and reads back the same.
        assert_eq!(
            TempoApiAppData::from_databag(&d.to_databag())
                .ok()
                .flatten(),
            Some(d.clone())
        );
        assert!(HttpUrl::parse(d.http.direct_url.as_str()).is_ok());
    }
});
