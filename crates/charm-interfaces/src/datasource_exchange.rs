//! The `grafana_datasource_exchange` interface, wire-identical to cosl's
//! `cosl.interfaces.datasource_exchange` (cosl 1.11.3). It is symmetric: each side's leader
//! writes, in its application databag, `datasources`: the Grafana datasources its application
//! is known by, as a compact JSON list (pydantic's serialisation, no spaces) of
//! `{"type", "uid", "grafana_uid"}`, sorted by `uid`. Tempo, Loki and Mimir exchange these to
//! correlate traces with logs and metrics in the same Grafana.
//!
//! Reading follows the library's model (the three keys must be strings, other keys are
//! ignored, one bad entry refuses the databag), bounded in size and with every value checked
//! against the uid grammar of [`crate::grafana_source::is_uid`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::grafana_source::is_uid;
use juju_charm::Databag;

/// The interface name.
pub const INTERFACE: &str = "grafana_datasource_exchange";
/// The one key either side writes.
pub const DATASOURCES_KEY: &str = "datasources";
/// The largest `datasources` value read.
pub const MAX_VALUE_BYTES: usize = 256 * 1024;
/// The most datasources read from one databag.
pub const MAX_DATASOURCES: usize = 1000;
/// The longest datasource type read.
pub const MAX_TYPE: usize = 128;

/// One Grafana datasource (the library's `GrafanaDatasource`), fields in its order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GrafanaDatasource {
    /// The datasource type (`tempo`, `loki`, `prometheus`, ...).
    #[serde(rename = "type")]
    pub ds_type: String,
    /// The datasource uid Grafana assigned.
    pub uid: String,
    /// The uid of the Grafana holding it.
    pub grafana_uid: String,
}

/// Why a databag was not read (bad remote data: never a hook failure).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// No `datasources` key (nothing published yet).
    #[error("the databag has no `datasources` key")]
    Missing,
    /// Too large to read.
    #[error("`datasources` is {bytes} bytes, more than the {max} read")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The bound.
        max: usize,
    },
    /// Not JSON, or JSON of the wrong shape.
    #[error("`datasources` {problem}")]
    Invalid {
        /// What is wrong, naming the entry.
        problem: String,
    },
}

fn invalid(problem: impl Into<String>) -> ReadError {
    ReadError::Invalid {
        problem: problem.into(),
    }
}

fn shown(s: &str) -> String {
    juju_charm::context::truncate(s, 60)
        .escape_debug()
        .to_string()
}

/// Whether `s` is a datasource type: 1 to [`MAX_TYPE`] ASCII letters, digits, `-`, `_`, `.`.
pub fn is_type(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_TYPE
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Either side's application databag (the library's `DSExchangeAppData`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatasourceExchangeAppData {
    /// The datasources, in the order read (the library writes them sorted by uid).
    pub datasources: Vec<GrafanaDatasource>,
}

impl DatasourceExchangeAppData {
    /// The databag as `DatasourceExchange.publish` writes it: sorted by `uid` (stable, as
    /// Python's `sorted`), compact JSON.
    pub fn to_databag(&self) -> Databag {
        let mut sorted = self.datasources.clone();
        sorted.sort_by(|a, b| a.uid.cmp(&b.uid));
        // Strings and a derived struct cannot fail to serialise.
        let json = serde_json::to_string(&sorted).unwrap_or_else(|_| "[]".to_owned());
        [(DATASOURCES_KEY.to_owned(), json)].into()
    }

    /// Reads the remote side's databag: `datasources` must be a JSON list of objects whose
    /// `type`, `uid` and `grafana_uid` are strings of the uid grammar; other keys are
    /// ignored, as the library's model ignores them.
    pub fn from_databag(bag: &Databag) -> Result<Self, ReadError> {
        let raw = bag.get(DATASOURCES_KEY).ok_or(ReadError::Missing)?;
        if raw.len() > MAX_VALUE_BYTES {
            return Err(ReadError::TooLarge {
                bytes: raw.len(),
                max: MAX_VALUE_BYTES,
            });
        }
        let v: Value = serde_json::from_str(raw)
            .map_err(|e| invalid(format!("is not JSON ({e}): `{}`", shown(raw))))?;
        let Value::Array(items) = v else {
            return Err(invalid("is not a JSON list"));
        };
        if items.len() > MAX_DATASOURCES {
            return Err(invalid(format!(
                "has {} entries, more than the {MAX_DATASOURCES} read",
                items.len()
            )));
        }
        let mut datasources = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let Value::Object(m) = item else {
                return Err(invalid(format!("entry {i} is not a JSON object")));
            };
            let field = |k: &str| -> Result<String, ReadError> {
                match m.get(k) {
                    Some(Value::String(s)) => Ok(s.clone()),
                    Some(_) => Err(invalid(format!("entry {i}: `{k}` is not a string"))),
                    None => Err(invalid(format!("entry {i} has no `{k}`"))),
                }
            };
            let (ds_type, uid, grafana_uid) =
                (field("type")?, field("uid")?, field("grafana_uid")?);
            if !is_type(&ds_type) {
                return Err(invalid(format!(
                    "entry {i}: type `{}` is not a datasource type",
                    shown(&ds_type)
                )));
            }
            for (k, s) in [("uid", &uid), ("grafana_uid", &grafana_uid)] {
                if !is_uid(s) {
                    return Err(invalid(format!(
                        "entry {i}: {k} `{}` is not a uid (ASCII letters, digits, `-`, `_`, `.`)",
                        shown(s)
                    )));
                }
            }
            datasources.push(GrafanaDatasource {
                ds_type,
                uid,
                grafana_uid,
            });
        }
        Ok(Self { datasources })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(t: &str, uid: &str, g: &str) -> GrafanaDatasource {
        GrafanaDatasource {
            ds_type: t.into(),
            uid: uid.into(),
            grafana_uid: g.into(),
        }
    }

    fn bag(v: &str) -> Databag {
        [(DATASOURCES_KEY.to_owned(), v.to_owned())].into()
    }

    #[test]
    fn writes_sorted_compact_json_as_pydantic() {
        let d = DatasourceExchangeAppData {
            datasources: vec![
                ds("tempo", "b", "g1"),
                ds("tempo", "a", "g2"),
                ds("x", "b", "g0"),
            ],
        };
        // pydantic's JSON: no spaces, fields in model order; sorted by uid, stable.
        assert_eq!(
            d.to_databag()[DATASOURCES_KEY],
            r#"[{"type":"tempo","uid":"a","grafana_uid":"g2"},{"type":"tempo","uid":"b","grafana_uid":"g1"},{"type":"x","uid":"b","grafana_uid":"g0"}]"#
        );
        assert_eq!(
            DatasourceExchangeAppData::default().to_databag()[DATASOURCES_KEY],
            "[]"
        );
        let back = DatasourceExchangeAppData::from_databag(&d.to_databag()).unwrap();
        assert_eq!(back.datasources.len(), 3);
    }

    #[test]
    fn reads_what_loki_writes_and_ignores_extra_keys() {
        let d = DatasourceExchangeAppData::from_databag(&bag(
            r#"[{"type":"loki","uid":"juju_cos_u_loki","grafana_uid":"juju_cos_u_grafana_0","extra":1}]"#,
        ))
        .unwrap();
        assert_eq!(
            d.datasources,
            [ds("loki", "juju_cos_u_loki", "juju_cos_u_grafana_0")]
        );
    }

    #[test]
    fn refuses_bad_data_naming_the_entry() {
        assert_eq!(
            DatasourceExchangeAppData::from_databag(&Databag::new()),
            Err(ReadError::Missing)
        );
        for (raw, says) in [
            ("nope", "not JSON"),
            ("{}", "not a JSON list"),
            ("[1]", "entry 0 is not a JSON object"),
            (
                r#"[{"type":"loki","uid":"u"}]"#,
                "entry 0 has no `grafana_uid`",
            ),
            (
                r#"[{"type":"loki","uid":5,"grafana_uid":"g"}]"#,
                "`uid` is not a string",
            ),
            (
                r#"[{"type":"lo ki","uid":"u","grafana_uid":"g"}]"#,
                "not a datasource type",
            ),
            (
                r#"[{"type":"loki","uid":"","grafana_uid":"g"}]"#,
                "uid `` is not a uid",
            ),
            (
                r#"[{"type":"loki","uid":"u","grafana_uid":"g"},{"type":"loki","uid":"u","grafana_uid":"g\n"}]"#,
                "entry 1: grafana_uid",
            ),
        ] {
            let e = DatasourceExchangeAppData::from_databag(&bag(raw)).unwrap_err();
            assert!(e.to_string().contains(says), "{raw}: {e}");
        }
        let many = format!(
            "[{}]",
            vec![r#"{"type":"t","uid":"u","grafana_uid":"g"}"#; MAX_DATASOURCES + 1].join(",")
        );
        assert!(DatasourceExchangeAppData::from_databag(&bag(&many)).is_err());
        let big = "[".to_owned() + &" ".repeat(MAX_VALUE_BYTES) + "]";
        assert!(matches!(
            DatasourceExchangeAppData::from_databag(&bag(&big)),
            Err(ReadError::TooLarge { .. })
        ));
    }
}
