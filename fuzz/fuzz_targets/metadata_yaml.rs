//! metadata.yaml reading.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use juju_charm::Metadata;

fuzz_target!(|s: &str| {
    if let Ok(m) = Metadata::parse(s, Path::new("metadata.yaml")) {
        for e in m.endpoints.values() {
            let _ = e.limit_is_one();
        }
        let _ = m.peer_endpoint();
    }
});
