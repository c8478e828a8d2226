//! Property tests over everything that parses outside input: nothing panics, and URL
//! validation agrees with the rules the conformance vectors pin down.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use charm_interfaces::tempo_api::{HttpUrl, TempoApiAppData};
use charm_interfaces::traefik_route::{traefik_address, TraefikAddress};
use charm_sim::model::{HookCtx, Model, TOOLS};
use charm_sim::State;
use juju_charm::runner::{RunError, ToolOutput};
use juju_charm::{Context, Databag, HookTools, Metadata, RelationId, Runner, UnitName};
use proptest::prelude::*;
use serde_json::Value;

fn vector_inputs() -> Vec<String> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/tempo_api/provide.json");
    let cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("provide.json")).expect("JSON");
    let mut out = Vec::new();
    for c in cases {
        for (_, v) in c["case"]["args"].as_object().expect("args").iter() {
            if let Some(s) = v.as_str() {
                out.push(s.to_owned());
            }
        }
    }
    out
}

fn outcome(s: &str) -> Result<String, ()> {
    HttpUrl::parse(s)
        .map(|u| u.as_str().to_owned())
        .map_err(|_| ())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// WHATWG (and so AnyHttpUrl) removes tabs and newlines anywhere and strips leading and
    /// trailing C0 controls and spaces; the scheme is case-insensitive. So each vector's
    /// outcome (accept with its normalised string, or reject) survives such mutations.
    #[test]
    fn vector_outcomes_survive_whatwg_invariant_mutations(
        idx in any::<prop::sample::Index>(),
        inserts in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(vec!['\t', '\n', '\r'])), 0..4),
        lead in "[\u{0}-\u{1f} ]{0,3}",
        trail in "[\u{0}-\u{1f} ]{0,3}",
        upper_scheme in any::<bool>(),
    ) {
        let inputs = vector_inputs();
        let base = idx.get(&inputs).clone();
        let mut chars: Vec<char> = base.chars().collect();
        if upper_scheme {
            if let Some(colon) = chars.iter().position(|c| *c == ':') {
                for c in &mut chars[..colon] { *c = c.to_ascii_uppercase(); }
            }
        }
        for (at, ch) in inserts {
            let i = if chars.is_empty() { 0 } else { at.index(chars.len() + 1) };
            chars.insert(i, ch);
        }
        let mutated = format!("{lead}{}{trail}", chars.into_iter().collect::<String>());
        // An empty input is refused before parsing, so adding whitespace to "" changes nothing
        // about acceptance either way: both are refused.
        prop_assert_eq!(outcome(&mutated), outcome(&base), "{:?} vs {:?}", mutated, base);
    }

    #[test]
    fn url_validation_never_panics_and_normal_forms_are_fixed_points(s in "\\PC{0,80}|(https?|HTTP|ftp)://[a-zA-Z0-9.:@\\[\\]%/?#_ -]{0,60}") {
        if let Ok(u) = HttpUrl::parse(&s) {
            prop_assert!(matches!(u.url().scheme(), "http" | "https"));
            prop_assert!(u.url().has_host());
            let again = HttpUrl::parse(u.as_str()).expect("a normal form parses");
            prop_assert_eq!(again.as_str(), u.as_str());
        }
    }

    #[test]
    fn databag_reading_never_panics(bag in prop::collection::btree_map("[a-z]{0,6}", "\\PC{0,60}|\\{\"direct_url\": \"[^\"]{0,30}\"\\}", 0..4)) {
        let _ = TempoApiAppData::from_databag(&bag);
    }

    #[test]
    // Host names as the charm makes them; a label starting `xn--` is punycode, which a valid
    // URL must decode (the generator once made `xn--5-`, rightly refused), so none here.
    fn published_data_reads_back_identically(host in "[a-z][a-z0-9-]{0,20}(\\.[a-z][a-z0-9-]{0,10}){0,3}".prop_filter("no punycode labels", |h| !h.split('.').any(|l| l.starts_with("xn--"))), port in 1u16.., tls in any::<bool>()) {
        let scheme = if tls { "https" } else { "http" };
        let d = TempoApiAppData::new(&format!("http://{host}:3200"), &format!("http://{host}:9096"), Some(&format!("{scheme}://{host}:{port}")), None).expect("valid");
        prop_assert_eq!(TempoApiAppData::from_databag(&d.to_databag()).expect("reads"), Some(d));
    }

    #[test]
    fn context_parsing_never_panics(values in prop::collection::vec("\\PC{0,30}", 12)) {
        let names = ["JUJU_UNIT_NAME", "JUJU_MODEL_NAME", "JUJU_CHARM_DIR", "JUJU_VERSION", "JUJU_DISPATCH_PATH", "JUJU_RELATION",
            "JUJU_RELATION_ID", "JUJU_REMOTE_UNIT", "JUJU_REMOTE_APP", "JUJU_DEPARTING_UNIT", "JUJU_SECRET_ID", "JUJU_SECRET_REVISION"];
        let env: HashMap<String, String> = names.iter().map(|n| n.to_string()).zip(values).collect();
        let _ = Context::from_env(&env, None);
        let mut env2 = env.clone();
        env2.insert("JUJU_DISPATCH_PATH".into(), format!("hooks/{}-relation-changed", env["JUJU_RELATION"]));
        let _ = Context::from_env(&env2, Some(&env["JUJU_CHARM_DIR"]));
    }

    #[test]
    fn metadata_parsing_never_panics(text in "\\PC{0,200}|name: [a-z]{1,5}\nrequires:\n  [a-z]{1,5}: \\{interface: [a-z]{1,4}, limit: [-0-9a-z.]{0,4}\\}") {
        if let Ok(m) = Metadata::parse(&text, Path::new("metadata.yaml")) {
            for e in m.endpoints.values() { let _ = e.limit_is_one(); }
        }
    }

    #[test]
    fn traefik_data_never_panics_and_ready_means_valid_urls(scheme in "\\PC{0,8}|https?", host in "\\PC{0,30}|[a-z0-9.]{1,20}(:[0-9]{1,5})?") {
        let bag: Databag = [("scheme".to_owned(), scheme), ("external_host".to_owned(), host)].into();
        if let Ok(TraefikAddress::Ready { scheme, external_host }) = traefik_address(&bag) {
            let base = format!("{scheme}://{external_host}");
            prop_assert!(HttpUrl::parse(&base).is_ok(), "{}", base);
        }
    }

    #[test]
    fn hook_tool_output_parsing_never_panics(out in prop::collection::vec(any::<u8>(), 0..80), code in -2i32..3) {
        let t = HookTools::new(Canned(ToolOutput { code, stdout: out, stderr: b"ERROR x".to_vec() }));
        let r = RelationId::new("x", 1);
        let _ = t.relation_get_app(&r, "a");
        let _ = t.relation_get_unit(&r, &UnitName::new("a", 0));
        let _ = t.relation_ids("x");
        let _ = t.relation_list(&r);
        let _ = t.config_get();
        let _ = t.network_get("x", None);
        let _ = t.is_leader();
        let _ = t.status_get_unit();
        let _ = t.opened_ports();
    }

    /// The simulator's tool server answers any argv with an exit code, never a panic.
    #[test]
    fn simulated_tools_never_panic(tool in prop::sample::select(TOOLS.to_vec()), args in prop::collection::vec("-{0,2}[a-z=:0-9/-]{0,12}|--|-r|tempo-api:3|--app|--format=json|-", 0..6), stdin in prop::option::of("\\PC{0,40}")) {
        let state = State::from_yaml("unit: t/0\nleader: true\nrelations:\n  - {id: 3, endpoint: tempo-api, remote_app: g, remote_units: [g/0]}\n").expect("state");
        let mut m = Model::new(state, HookCtx { relation: Some(3), remote_app: Some("g".into()), ..Default::default() });
        let _ = m.call(tool, &args, stdin.as_deref().map(str::as_bytes));
        let _ = m.finish(0);
    }
}

struct Canned(ToolOutput);
impl Runner for Canned {
    fn run(&self, _: &str, _: &[String], _: Option<&[u8]>) -> Result<ToolOutput, RunError> {
        Ok(self.0.clone())
    }
}

#[test]
fn a_10_mb_value_is_refused_by_size_before_parsing() {
    let mut bag: BTreeMap<String, String> = BTreeMap::new();
    bag.insert(
        "http".into(),
        format!("{{\"direct_url\": \"http://a/{}\"}}", "a".repeat(10 << 20)),
    );
    bag.insert("grpc".into(), "{\"direct_url\": \"http://a\"}".into());
    // Refused by size, before any JSON is decoded (a parse would have accepted this data).
    let err = TempoApiAppData::from_databag(&bag).unwrap_err();
    assert!(err.to_string().contains("more than the 1048576"), "{err}");
}
