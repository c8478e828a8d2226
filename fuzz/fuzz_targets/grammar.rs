//! The grammar of remote values (`charm_interfaces::grammar`): never panics; an accepted
//! value's normal form is a fixed point and carries no nginx or YAML syntax; a worker's
//! databag and an S3 databag built from the input never panic either.
#![no_main]

use charm_interfaces::grammar::{AppName, DnsName, Host, HostPort, HttpUrl, UnitName};
use libfuzzer_sys::fuzz_target;

fn clean(s: &str) {
    assert!(
        !s.contains(['$', '{', '}', ';', '\'', '"', ' ', '\\', '#', '\n', '\r', '\t']),
        "{s:?}"
    );
    assert!(s.is_ascii(), "{s:?}");
}

fn fixed<T: std::str::FromStr + std::fmt::Display + PartialEq + std::fmt::Debug>(s: &str) {
    if let Ok(v) = s.parse::<T>() {
        let shown = v.to_string();
        clean(&shown);
        let again: T = match shown.parse() {
            Ok(a) => a,
            Err(_) => panic!("normal form {shown:?} of {s:?} does not parse"),
        };
        assert_eq!(again, v);
    }
}

fuzz_target!(|s: &str| {
    fixed::<DnsName>(s);
    fixed::<Host>(s);
    fixed::<HostPort>(s);
    fixed::<HttpUrl>(s);
    fixed::<AppName>(s);
    fixed::<UnitName>(s);
    if let Ok(h) = s.parse::<Host>() {
        clean(&h.label());
    }
    let unit: juju_charm::Databag = [
        ("address".to_owned(), serde_json::to_string(s).unwrap_or_default()),
        ("juju_topology".to_owned(), s.to_owned()),
    ]
    .into();
    if let Ok(d) = charm_interfaces::tempo_cluster::ClusterRequirerUnitData::from_databag(&unit) {
        clean(&d.address);
    }
    let s3: juju_charm::Databag = [
        ("endpoint".to_owned(), s.to_owned()),
        ("bucket".to_owned(), s.to_owned()),
        ("region".to_owned(), s.to_owned()),
        ("access-key".to_owned(), "k".to_owned()),
        ("secret-key".to_owned(), "k".to_owned()),
    ]
    .into();
    if let Ok(info) = charm_interfaces::s3::S3ConnectionInfo::from_databag(&s3) {
        clean(&info.endpoint);
        clean(&info.bucket);
    }
});
