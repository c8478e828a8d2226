//! The tls-certificates v4 databags a remote writes (the provider's `certificates`, a
//! requirer's `certificate_signing_requests`): never panic; what is accepted writes back to
//! a databag that reads the same; every PEM kept passes the PEM grammar again.
#![no_main]

use charm_interfaces::tls_certificates::{ProviderAppData, RequirerData};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    let bag = [("certificates".to_owned(), s.to_owned())].into();
    if let Ok(read) = ProviderAppData::from_databag(&bag) {
        let again = ProviderAppData::from_databag(&read.data.to_databag()).expect("ours reads");
        assert_eq!(again.data, read.data);
        assert!(again.skipped.is_empty());
    }
    let bag = [("certificate_signing_requests".to_owned(), s.to_owned())].into();
    if let Ok(read) = RequirerData::from_databag(&bag) {
        let again = RequirerData::from_databag(&read.to_databag()).expect("ours reads");
        assert_eq!(again, read);
    }
});
