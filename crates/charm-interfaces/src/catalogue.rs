//! The `catalogue` interface, both sides, wire-identical to the Python library
//! `charms.catalogue_k8s.v1.catalogue` (LIBAPI 1). The consumer (an application listing
//! itself, such as Tempo) has its leader write its item to its application databag: `name`,
//! `description`, `url`, `icon` (an Iconify MDI name), `api_docs`, and `api_endpoints`
//! (`json.dumps` of a dict of name -> URL). A key whose value is `""` is not written (ops
//! deletes a key set to `""`): Tempo, having no UI, has no `url`.

use serde_json::Value;

use crate::pyjson;
use juju_charm::Databag;

/// The library's default endpoint name.
pub const DEFAULT_RELATION_NAME: &str = "catalogue";
/// The longest value read.
pub const MAX_VALUE: usize = 4096;
/// The most API endpoints read.
pub const MAX_ENDPOINTS: usize = 100;

/// One application's entry in the catalogue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogueItem {
    /// The name shown (`Tempo (tempo)`).
    pub name: String,
    /// The application's UI, or `""` when it has none.
    pub url: String,
    /// An Iconify Material Design Icon name.
    pub icon: String,
    /// One sentence about the application.
    pub description: String,
    /// Where its API is documented.
    pub api_docs: String,
    /// Its API endpoints, name -> URL, in the order shown (read back in name order);
    /// `None` writes `null`, as the library does for an item without any.
    pub api_endpoints: Option<Vec<(String, String)>>,
}

/// Why a databag was not read (bad remote data: never a hook failure).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// A value larger than the bound, or an unusable one.
    #[error("`{key}` {problem}")]
    Invalid {
        /// The key.
        key: &'static str,
        /// What is wrong.
        problem: String,
    },
}

fn invalid(key: &'static str, problem: impl Into<String>) -> ReadError {
    ReadError::Invalid {
        key,
        problem: problem.into(),
    }
}

impl CatalogueItem {
    /// The consumer's application databag, as `CatalogueConsumer` writes it.
    pub fn to_databag(&self) -> Databag {
        let endpoints = match &self.api_endpoints {
            None => "null".to_owned(),
            Some(e) => pyjson::dumps_object(e.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        };
        let mut bag: Databag = [
            ("name", self.name.clone()),
            ("description", self.description.clone()),
            ("url", self.url.clone()),
            ("icon", self.icon.clone()),
            ("api_docs", self.api_docs.clone()),
            ("api_endpoints", endpoints),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        bag.retain(|_, v| !v.is_empty());
        bag
    }

    /// Reads an item, as the catalogue charm does (`CatalogueProvider.items`): absent keys
    /// are `""` (and `{}` for `api_endpoints`); values are bounded; `url`, `api_docs` and each
    /// endpoint, when set, must be `http(s)` URLs (the catalogue renders them as links).
    pub fn from_databag(bag: &Databag) -> Result<Self, ReadError> {
        let get = |key: &'static str| -> Result<String, ReadError> {
            let v = bag.get(key).cloned().unwrap_or_default();
            if v.len() > MAX_VALUE {
                return Err(invalid(key, format!("is longer than {MAX_VALUE} bytes")));
            }
            Ok(v)
        };
        let link = |key: &'static str, v: &str| -> Result<(), ReadError> {
            let ok = url::Url::parse(v)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
            if ok {
                Ok(())
            } else {
                Err(invalid(
                    key,
                    format!(
                        "`{}` is not an http(s) URL",
                        juju_charm::context::truncate(v, 60).escape_debug()
                    ),
                ))
            }
        };
        let url = get("url")?;
        if !url.is_empty() {
            link("url", &url)?;
        }
        let api_docs = get("api_docs")?;
        if !api_docs.is_empty() {
            link("api_docs", &api_docs)?;
        }
        let raw = bag.get("api_endpoints").map(String::as_str).unwrap_or("{}");
        if raw.len() > MAX_VALUE * 4 {
            return Err(invalid("api_endpoints", "is too large"));
        }
        let api_endpoints = match serde_json::from_str::<Value>(raw) {
            Ok(Value::Null) => None,
            Ok(Value::Object(m)) if m.len() <= MAX_ENDPOINTS => {
                let mut out = Vec::with_capacity(m.len());
                for (k, v) in m {
                    let Value::String(v) = v else {
                        return Err(invalid("api_endpoints", format!("`{k}` is not a string")));
                    };
                    link("api_endpoints", &v)?;
                    out.push((k, v));
                }
                Some(out)
            }
            Ok(_) => {
                return Err(invalid(
                    "api_endpoints",
                    format!("is not a JSON object of at most {MAX_ENDPOINTS} names"),
                ))
            }
            Err(e) => return Err(invalid("api_endpoints", format!("is not JSON ({e})"))),
        };
        Ok(Self {
            name: get("name")?,
            url,
            icon: get("icon")?,
            description: get("description")?,
            api_docs,
            api_endpoints,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> CatalogueItem {
        CatalogueItem {
            name: "Tempo (tempo)".into(),
            url: String::new(),
            icon: "transit-connection-variant".into(),
            description: "Traces.".into(),
            api_docs: "https://grafana.com/docs/tempo/latest/api_docs/".into(),
            api_endpoints: Some(vec![
                (
                    "Search traces".into(),
                    "http://t:3200/api/search?<params>".into(),
                ),
                ("Status".into(), "http://t:3200/status".into()),
            ]),
        }
    }

    #[test]
    fn writes_as_the_library_and_no_empty_url() {
        let b = item().to_databag();
        assert!(!b.contains_key("url"));
        assert_eq!(
            b["api_endpoints"],
            r#"{"Search traces": "http://t:3200/api/search?<params>", "Status": "http://t:3200/status"}"#
        );
        assert_eq!(b["name"], "Tempo (tempo)");
        let none = CatalogueItem {
            api_endpoints: None,
            ..item()
        };
        assert_eq!(none.to_databag()["api_endpoints"], "null");
    }

    #[test]
    fn reads_back_and_refuses_bad_links() {
        let back = CatalogueItem::from_databag(&item().to_databag()).unwrap();
        assert_eq!(back.api_endpoints.as_ref().map(Vec::len), Some(2));
        assert_eq!(back.name, "Tempo (tempo)");
        let mut b = item().to_databag();
        b.insert("url".into(), "javascript:alert(1)".into());
        assert!(CatalogueItem::from_databag(&b)
            .unwrap_err()
            .to_string()
            .contains("`url`"));
        let mut b = item().to_databag();
        b.insert(
            "api_endpoints".into(),
            r#"{"x": "file:///etc/passwd"}"#.into(),
        );
        assert!(CatalogueItem::from_databag(&b).is_err());
        assert_eq!(
            CatalogueItem::from_databag(&Databag::new()).unwrap(),
            CatalogueItem {
                api_endpoints: Some(vec![]),
                ..CatalogueItem::default()
            }
        );
    }
}
