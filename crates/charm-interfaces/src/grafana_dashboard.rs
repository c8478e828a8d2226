//! `grafana_dashboard` (grafana_k8s v0, LIBPATCH 50), the provider side: the application key
//! `dashboards`, `json.dumps({"templates": {...}, "uuid": ...})` with one template per
//! dashboard file keyed `file:<stem>`: `charm`, `content` (base64 of the xz-compressed
//! dashboard JSON), `juju_topology`, `inject_dropdowns`, `dashboard_alt_uid`.
//!
//! The library mints a fresh uuid4 whenever the templates change; here the uuid is derived
//! from the templates themselves ([`uuid_of`]), so it has a uuid4's shape and changes
//! exactly when they do, with no randomness and no read of the databag.

use crate::pyjson::push_str;
use juju_charm::Databag;

/// The relation's default endpoint name.
pub const DEFAULT_RELATION_NAME: &str = "grafana-dashboard";

/// One dashboard, already compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dashboard<'a> {
    /// The file's stem (the template key is `file:<stem>`).
    pub stem: &'a str,
    /// base64 of the xz-compressed JSON.
    pub content: &'a str,
    /// `shake_256("<charm>-file:<stem>").hexdigest(8)`, the library's `_generate_alt_uid`.
    pub alt_uid: &'a str,
}

/// The provider's juju_topology (`model`, `model_uuid`, `application`, `unit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DashboardTopology<'a> {
    /// The model's name.
    pub model: &'a str,
    /// The model's uuid.
    pub model_uuid: &'a str,
    /// The application.
    pub application: &'a str,
    /// The unit writing it.
    pub unit: &'a str,
}

/// `json.dumps(templates)` as the library stores them (dropdowns injected).
pub fn templates_json(charm: &str, dashboards: &[Dashboard], t: &DashboardTopology) -> String {
    let mut out = String::from("{");
    for (i, d) in dashboards.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_str(&mut out, &format!("file:{}", d.stem));
        out.push_str(": {\"charm\": ");
        push_str(&mut out, charm);
        out.push_str(", \"content\": ");
        push_str(&mut out, d.content);
        out.push_str(", \"juju_topology\": ");
        out.push_str(&crate::pyjson::dumps_object([
            ("model", t.model),
            ("model_uuid", t.model_uuid),
            ("application", t.application),
            ("unit", t.unit),
        ]));
        out.push_str(", \"inject_dropdowns\": true, \"dashboard_alt_uid\": ");
        push_str(&mut out, d.alt_uid);
        out.push('}');
    }
    out.push('}');
    out
}

/// A uuid4-shaped identifier derived from `bytes` (two FNV-1a 64-bit hashes, the version and
/// variant bits set as a uuid4's): equal bytes, equal uuid.
pub fn uuid_of(bytes: &[u8]) -> String {
    fn fnv1a(bytes: &[u8], basis: u64) -> u64 {
        bytes.iter().fold(basis, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }
    let hi = fnv1a(bytes, 0xcbf2_9ce4_8422_2325);
    let lo = fnv1a(bytes, 0x84222325cbf29ce4 ^ hi.rotate_left(17));
    let hi = (hi & !0xf000) | 0x4000; // version 4
    let lo = (lo & !(0xc << 60)) | (0x8 << 60); // variant 10xx
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

/// The provider's application databag: `dashboards`.
pub fn app_databag(charm: &str, dashboards: &[Dashboard], t: &DashboardTopology) -> Databag {
    let templates = templates_json(charm, dashboards, t);
    let uuid = uuid_of(templates.as_bytes());
    let mut value = String::with_capacity(templates.len() + 64);
    value.push_str("{\"templates\": ");
    value.push_str(&templates);
    value.push_str(", \"uuid\": ");
    push_str(&mut value, &uuid);
    value.push('}');
    [("dashboards".to_owned(), value)].into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_the_library_shape() {
        let t = DashboardTopology {
            model: "cos",
            model_uuid: "u",
            application: "tempo",
            unit: "tempo/0",
        };
        let d = [Dashboard {
            stem: "tempo",
            content: "QUJD",
            alt_uid: "bfec99fc305f355c",
        }];
        let bag = app_databag("tempo-coordinator-k8s", &d, &t);
        let v: serde_json::Value = serde_json::from_str(&bag["dashboards"]).unwrap();
        let tpl = &v["templates"]["file:tempo"];
        assert_eq!(tpl["charm"], "tempo-coordinator-k8s");
        assert_eq!(tpl["content"], "QUJD");
        assert_eq!(tpl["inject_dropdowns"], true);
        assert_eq!(tpl["juju_topology"]["unit"], "tempo/0");
        assert_eq!(tpl["dashboard_alt_uid"], "bfec99fc305f355c");
        assert!(bag["dashboards"].starts_with(r#"{"templates": {"file:tempo": {"charm": "#));
        // The uuid: a uuid4's shape, stable for the same templates, new when they change.
        let uuid = v["uuid"].as_str().unwrap();
        let parts: Vec<&str> = uuid.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"));
        assert_eq!(app_databag("tempo-coordinator-k8s", &d, &t), bag);
        let moved = DashboardTopology {
            unit: "tempo/1",
            ..t
        };
        let other = app_databag("tempo-coordinator-k8s", &d, &moved);
        let v2: serde_json::Value = serde_json::from_str(&other["dashboards"]).unwrap();
        assert_ne!(v2["uuid"], v["uuid"]);
    }
}
