//! The `grafana_datasource` interface (endpoint `grafana-source`), both sides, wire-identical
//! to the Python library `charms.grafana_k8s.v1.grafana_source` (LIBAPI 1, LIBPATCH 0) in
//! application mode (`app_datasource=True`, `unit_datasources=False`, its defaults).
//!
//! The provider (a datasource such as Tempo) has its leader write two keys to its application
//! databag: `grafana_source_app_host`, the one load-balanced URL Grafana queries, and
//! `grafana_source_data`, `json.dumps` of `{model, model_uuid, application, type,
//! extra_fields, secure_extra_fields}` (the extras being Grafana's `jsonData` /
//! `secureJsonData`, `null` when unset). Its units write nothing: the library sets
//! `grafana_source_host` to `""`, which Juju treats as absent.
//!
//! Grafana (the consumer) answers in its application databag: `grafana_uid` (this Grafana),
//! `datasource_uids` (`json.dumps` of unit name -> per-unit datasource uid; `{}` in
//! application mode), `grafana_base_url`, and `app_datasource_uid` (the one datasource it
//! made for the application; absent when there is none).
//!
//! Reads are bounded and validated ([`GrafanaReply::from_databag`],
//! [`SourceOffer::from_databag`]): remote data is never trusted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::pyjson;
use juju_charm::{Databag, UnitName};

/// The library's default endpoint name.
pub const DEFAULT_RELATION_NAME: &str = "grafana-source";
/// The interface name.
pub const INTERFACE: &str = "grafana_datasource";
/// Provider, application databag: the datasource's load-balanced URL.
pub const APP_HOST_KEY: &str = "grafana_source_app_host";
/// Provider, application databag: the datasource's description (JSON).
pub const SOURCE_DATA_KEY: &str = "grafana_source_data";
/// Consumer: this Grafana's uid.
pub const GRAFANA_UID_KEY: &str = "grafana_uid";
/// Consumer: per-unit datasource uids (JSON object).
pub const DATASOURCE_UIDS_KEY: &str = "datasource_uids";
/// Consumer: Grafana's base URL.
pub const GRAFANA_BASE_URL_KEY: &str = "grafana_base_url";
/// Consumer: the application-level datasource uid.
pub const APP_DATASOURCE_UID_KEY: &str = "app_datasource_uid";

/// The longest uid read (Grafana's own are 40 characters; Juju's Grafana makes
/// `juju_<model>_<uuid>_<app>[_<n>]`, about 100).
pub const MAX_UID: usize = 256;
/// The longest URL read.
pub const MAX_URL: usize = 2048;
/// The largest `datasource_uids` or `grafana_source_data` value read.
pub const MAX_JSON_BYTES: usize = 256 * 1024;
/// The most per-unit uids read.
pub const MAX_UNIT_UIDS: usize = 1000;

/// Why a databag was not read (bad remote data: never a hook failure).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// A value larger than the bound.
    #[error("`{key}` is {bytes} bytes, more than the {max} read")]
    TooLarge {
        /// The key.
        key: &'static str,
        /// Its size.
        bytes: usize,
        /// The bound.
        max: usize,
    },
    /// Not JSON, or JSON of the wrong shape.
    #[error("`{key}` {problem}")]
    Invalid {
        /// The key.
        key: &'static str,
        /// What is wrong, with the start of the value escaped.
        problem: String,
    },
}

fn shown(s: &str) -> String {
    juju_charm::context::truncate(s, 60)
        .escape_debug()
        .to_string()
}

fn invalid(key: &'static str, problem: impl Into<String>) -> ReadError {
    ReadError::Invalid {
        key,
        problem: problem.into(),
    }
}

/// Whether `s` is a datasource or Grafana uid: 1 to [`MAX_UID`] ASCII letters, digits, `-`,
/// `_` or `.` (Grafana's alphabet, with the dots of Juju model names to spare).
pub fn is_uid(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_UID
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn uid(key: &'static str, s: &str) -> Result<String, ReadError> {
    if is_uid(s) {
        Ok(s.to_owned())
    } else {
        Err(invalid(
            key,
            format!(
                "`{}` is not a uid (1 to {MAX_UID} ASCII letters, digits, `-`, `_`, `.`)",
                shown(s)
            ),
        ))
    }
}

/// An `http(s)` URL with a host, no user info, at most [`MAX_URL`] bytes; normalised by the
/// `url` crate.
pub fn http_url(key: &'static str, s: &str) -> Result<url::Url, ReadError> {
    if s.len() > MAX_URL {
        return Err(ReadError::TooLarge {
            key,
            bytes: s.len(),
            max: MAX_URL,
        });
    }
    let u = url::Url::parse(s)
        .map_err(|e| invalid(key, format!("`{}` is not a URL ({e})", shown(s))))?;
    let ok = matches!(u.scheme(), "http" | "https")
        && u.host_str().is_some_and(|h| !h.is_empty())
        && u.username().is_empty()
        && u.password().is_none();
    if ok {
        Ok(u)
    } else {
        Err(invalid(
            key,
            format!(
                "`{}` is not an http(s) URL with a host and no credentials",
                shown(s)
            ),
        ))
    }
}

fn bounded<'a>(bag: &'a Databag, key: &'static str) -> Result<Option<&'a str>, ReadError> {
    match bag.get(key).map(String::as_str) {
        Some(v) if v.len() > MAX_JSON_BYTES => Err(ReadError::TooLarge {
            key,
            bytes: v.len(),
            max: MAX_JSON_BYTES,
        }),
        Some("") | None => Ok(None),
        Some(v) => Ok(Some(v)),
    }
}

/// The datasource's description, `grafana_source_data`. `X` is the type of the extras:
/// a provider writes its own struct (serialised in field order, as a Python dict literal
/// keeps its order), Grafana reads them as [`Value`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrafanaSourceData<X = Value> {
    /// The provider's model name.
    pub model: String,
    /// The provider's model uuid (`JUJU_MODEL_UUID`).
    pub model_uuid: String,
    /// The provider's application name.
    pub application: String,
    /// Grafana's datasource type (`tempo`, `loki`, `prometheus`, ...).
    #[serde(rename = "type")]
    pub source_type: String,
    /// Grafana's `jsonData` for the datasource (`null` when none).
    pub extra_fields: Option<X>,
    /// Grafana's `secureJsonData` for the datasource (`null` when none).
    pub secure_extra_fields: Option<X>,
}

impl<X: Serialize> GrafanaSourceData<X> {
    /// The value as the library writes it: `json.dumps(data)`.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        pyjson::to_string(self)
    }
}

/// The provider's application databag in application mode: the datasource URL and its
/// description. A unit writes nothing (the library's `grafana_source_host` is `""`).
pub fn provider_app_databag<X: Serialize>(
    app_host: &str,
    data: &GrafanaSourceData<X>,
) -> Result<Databag, serde_json::Error> {
    Ok([
        (APP_HOST_KEY.to_owned(), app_host.to_owned()),
        (SOURCE_DATA_KEY.to_owned(), data.to_json()?),
    ]
    .into())
}

/// What a provider offers, as Grafana reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceOffer {
    /// The application-level URL, when the provider published one.
    pub app_host: Option<url::Url>,
    /// The description.
    pub data: GrafanaSourceData,
}

impl SourceOffer {
    /// Reads a provider's application databag; `Ok(None)` until it wrote its description.
    pub fn from_databag(bag: &Databag) -> Result<Option<Self>, ReadError> {
        let Some(raw) = bounded(bag, SOURCE_DATA_KEY)? else {
            return Ok(None);
        };
        let data: GrafanaSourceData = serde_json::from_str(raw).map_err(|e| {
            invalid(
                SOURCE_DATA_KEY,
                format!("is not the datasource description ({e}): `{}`", shown(raw)),
            )
        })?;
        let app_host = match bag.get(APP_HOST_KEY).map(String::as_str) {
            None | Some("") => None,
            Some(h) => Some(http_url(APP_HOST_KEY, h)?),
        };
        Ok(Some(Self { app_host, data }))
    }
}

/// What Grafana writes back: the uids it gave the provider's datasource(s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrafanaReply {
    /// This Grafana's uid.
    pub grafana_uid: String,
    /// Per-unit datasource uids, by provider unit (empty in application mode).
    pub datasource_uids: BTreeMap<UnitName, String>,
    /// Grafana's base URL, when it gave one.
    pub grafana_base_url: Option<url::Url>,
    /// The uid of the one datasource Grafana made for the whole application, when it did.
    pub app_datasource_uid: Option<String>,
}

impl GrafanaReply {
    /// Reads Grafana's application databag. `Ok(None)` while it has no `grafana_uid` (not
    /// answered yet, or a Grafana older than this interface, which the library skips too).
    /// Any value present must be valid, or the whole reply is refused.
    pub fn from_databag(bag: &Databag) -> Result<Option<Self>, ReadError> {
        let grafana_uid = match bag.get(GRAFANA_UID_KEY).map(String::as_str) {
            None | Some("") => return Ok(None),
            Some(g) => uid(GRAFANA_UID_KEY, g)?,
        };
        let mut datasource_uids = BTreeMap::new();
        if let Some(raw) = bounded(bag, DATASOURCE_UIDS_KEY)? {
            let v: Value = serde_json::from_str(raw).map_err(|e| {
                invalid(
                    DATASOURCE_UIDS_KEY,
                    format!("is not JSON ({e}): `{}`", shown(raw)),
                )
            })?;
            let Value::Object(m) = v else {
                return Err(invalid(DATASOURCE_UIDS_KEY, "is not a JSON object"));
            };
            if m.len() > MAX_UNIT_UIDS {
                return Err(invalid(
                    DATASOURCE_UIDS_KEY,
                    format!(
                        "has {} entries, more than the {MAX_UNIT_UIDS} read",
                        m.len()
                    ),
                ));
            }
            for (unit, ds) in m {
                let unit: UnitName = unit.parse().map_err(|_| {
                    invalid(
                        DATASOURCE_UIDS_KEY,
                        format!("key `{}` is not a unit name", shown(&unit)),
                    )
                })?;
                let Value::String(ds) = ds else {
                    return Err(invalid(
                        DATASOURCE_UIDS_KEY,
                        format!("the uid of `{unit}` is not a string"),
                    ));
                };
                datasource_uids.insert(unit, uid(DATASOURCE_UIDS_KEY, &ds)?);
            }
        }
        let grafana_base_url = match bag.get(GRAFANA_BASE_URL_KEY).map(String::as_str) {
            None | Some("") => None,
            Some(u) => Some(http_url(GRAFANA_BASE_URL_KEY, u)?),
        };
        let app_datasource_uid = match bag.get(APP_DATASOURCE_UID_KEY).map(String::as_str) {
            None | Some("") => None,
            Some(a) => Some(uid(APP_DATASOURCE_UID_KEY, a)?),
        };
        Ok(Some(Self {
            grafana_uid,
            datasource_uids,
            grafana_base_url,
            app_datasource_uid,
        }))
    }

    /// Grafana's application databag, as the library writes it (`datasource_uids` as
    /// `json.dumps` of the dict; no `app_datasource_uid` key when there is none).
    pub fn to_databag(&self) -> Databag {
        let uids: Vec<(String, &str)> = self
            .datasource_uids
            .iter()
            .map(|(u, d)| (u.to_string(), d.as_str()))
            .collect();
        let mut bag: Databag = [
            (GRAFANA_UID_KEY.to_owned(), self.grafana_uid.clone()),
            (
                DATASOURCE_UIDS_KEY.to_owned(),
                pyjson::dumps_object(uids.iter().map(|(u, d)| (u.as_str(), *d))),
            ),
            (
                GRAFANA_BASE_URL_KEY.to_owned(),
                self.grafana_base_url
                    .as_ref()
                    .map(|u| u.as_str().to_owned())
                    .unwrap_or_default(),
            ),
        ]
        .into();
        if let Some(a) = &self.app_datasource_uid {
            bag.insert(APP_DATASOURCE_UID_KEY.to_owned(), a.clone());
        }
        bag.retain(|_, v| !v.is_empty());
        bag
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(pairs: &[(&str, &str)]) -> Databag {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const UUID: &str = "5f0c7e2a-3b9d-4c61-8a47-0d2e6b1f9a53";

    #[test]
    fn provider_data_is_python_json_dumps() {
        let data: GrafanaSourceData = GrafanaSourceData {
            model: "cos".into(),
            model_uuid: UUID.into(),
            application: "tempo".into(),
            source_type: "tempo".into(),
            extra_fields: None,
            secure_extra_fields: None,
        };
        let b = provider_app_databag("http://tempo.cos.svc.cluster.local:3200", &data).unwrap();
        // What the library writes (json.dumps of the dict literal), as Python prints it.
        assert_eq!(
            b[SOURCE_DATA_KEY],
            format!("{{\"model\": \"cos\", \"model_uuid\": \"{UUID}\", \"application\": \"tempo\", \"type\": \"tempo\", \"extra_fields\": null, \"secure_extra_fields\": null}}")
        );
        assert_eq!(b.len(), 2);
        // Grafana's side reads it back.
        let offer = SourceOffer::from_databag(&b).unwrap().unwrap();
        assert_eq!(offer.data, data);
        assert_eq!(
            offer.app_host.unwrap().as_str(),
            "http://tempo.cos.svc.cluster.local:3200/"
        );
    }

    #[test]
    fn grafana_reply_round_trips() {
        let b = bag(&[
            ("grafana_uid", "juju_cos_x_grafana_0"),
            ("datasource_uids", "{\"tempo/0\": \"juju_cos_x_tempo_0\"}"),
            (
                "grafana_base_url",
                "http://grafana-0.grafana-endpoints:3000",
            ),
            ("app_datasource_uid", "juju_cos_x_tempo"),
        ]);
        let r = GrafanaReply::from_databag(&b).unwrap().unwrap();
        assert_eq!(r.app_datasource_uid.as_deref(), Some("juju_cos_x_tempo"));
        assert_eq!(
            r.datasource_uids[&UnitName::new("tempo", 0)],
            "juju_cos_x_tempo_0"
        );
        let again = GrafanaReply::from_databag(&r.to_databag())
            .unwrap()
            .unwrap();
        assert_eq!(again, r);
        assert_eq!(r.to_databag()["datasource_uids"], b["datasource_uids"]);
        // Application mode: `{}` and no app uid key when there is none.
        let b = bag(&[("grafana_uid", "g"), ("datasource_uids", "{}")]);
        let r = GrafanaReply::from_databag(&b).unwrap().unwrap();
        assert!(r.datasource_uids.is_empty() && r.app_datasource_uid.is_none());
        assert_eq!(r.to_databag(), b);
    }

    #[test]
    fn no_grafana_uid_is_no_reply_yet() {
        assert_eq!(GrafanaReply::from_databag(&Databag::new()), Ok(None));
        assert_eq!(
            GrafanaReply::from_databag(&bag(&[("grafana_uid", ""), ("datasource_uids", "x")])),
            Ok(None)
        );
    }

    #[test]
    fn bad_replies_are_refused_naming_the_key() {
        for (pairs, key) in [
            (vec![("grafana_uid", "a b")], "grafana_uid"),
            (
                vec![("grafana_uid", "g"), ("datasource_uids", "[1]")],
                "datasource_uids",
            ),
            (
                vec![("grafana_uid", "g"), ("datasource_uids", "{")],
                "datasource_uids",
            ),
            (
                vec![
                    ("grafana_uid", "g"),
                    ("datasource_uids", "{\"Tempo\": \"u\"}"),
                ],
                "datasource_uids",
            ),
            (
                vec![("grafana_uid", "g"), ("datasource_uids", "{\"t/0\": 3}")],
                "datasource_uids",
            ),
            (
                vec![
                    ("grafana_uid", "g"),
                    ("datasource_uids", "{\"t/0\": \"$(x)\"}"),
                ],
                "datasource_uids",
            ),
            (
                vec![("grafana_uid", "g"), ("grafana_base_url", "ftp://g")],
                "grafana_base_url",
            ),
            (
                vec![("grafana_uid", "g"), ("grafana_base_url", "http://u:p@g")],
                "grafana_base_url",
            ),
            (
                vec![("grafana_uid", "g"), ("app_datasource_uid", "a\"b")],
                "app_datasource_uid",
            ),
        ] {
            let e = GrafanaReply::from_databag(&bag(&pairs)).unwrap_err();
            assert!(e.to_string().contains(key), "{pairs:?}: {e}");
        }
        let huge = "x".repeat(MAX_UID + 1);
        assert!(GrafanaReply::from_databag(&bag(&[("grafana_uid", &huge)])).is_err());
        let big = format!("{{\"t/0\": \"{}\"}}", "a".repeat(MAX_JSON_BYTES));
        assert!(matches!(
            GrafanaReply::from_databag(&bag(&[("grafana_uid", "g"), ("datasource_uids", &big)])),
            Err(ReadError::TooLarge { .. })
        ));
    }

    #[test]
    fn offer_refuses_bad_data() {
        assert_eq!(SourceOffer::from_databag(&Databag::new()), Ok(None));
        assert!(SourceOffer::from_databag(&bag(&[("grafana_source_data", "{}")])).is_err());
        let ok = "{\"model\": \"m\", \"model_uuid\": \"u\", \"application\": \"a\", \"type\": \"tempo\"}";
        let o = SourceOffer::from_databag(&bag(&[("grafana_source_data", ok)]))
            .unwrap()
            .unwrap();
        assert!(o.app_host.is_none() && o.data.extra_fields.is_none());
        assert!(SourceOffer::from_databag(&bag(&[
            ("grafana_source_data", ok),
            ("grafana_source_app_host", "not a url")
        ]))
        .is_err());
    }
}
