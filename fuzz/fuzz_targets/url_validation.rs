//! URL validation: never panics; an accepted URL's normal form is a fixed point.
#![no_main]

use libfuzzer_sys::fuzz_target;
use charm_interfaces::tempo_api::HttpUrl;

fuzz_target!(|s: &str| {
    if let Ok(u) = HttpUrl::parse(s) {
        let again = HttpUrl::parse(u.as_str()).expect("normal form parses");
        assert_eq!(again.as_str(), u.as_str());
        assert!(matches!(u.url().scheme(), "http" | "https"));
    }
});
