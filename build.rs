//! Compresses the Grafana dashboards (`src/grafana_dashboards/*.json`) once, at build time,
//! into what the grafana_dashboard library sends: base64 of the xz-compressed JSON, with
//! each file's `dashboard_alt_uid` (`shake_256("<charm>-file:<stem>").hexdigest(8)`). The
//! hook then only pastes constant strings: no compression, no hashing of dashboards at run
//! time. Writes `$OUT_DIR/dashboards.rs`.
//!
//! And turns the alert rules (`src/alert_rules/*.rules`, YAML for people) into JSON, which a
//! hook parses several times faster than YAML: `$OUT_DIR/alert_rules.rs`, one constant per
//! file (`RULES_<STEM>`).

use std::io::Read;
use std::path::Path;

use base64::Engine as _;
use sha3::digest::{ExtendableOutput, Update, XofReader};

/// metadata.yaml's `name` (a test checks they agree).
const CHARM: &str = "tempo-coordinator-k8s";

fn main() {
    dashboards();
    alert_rules();
}

/// The files of `dir` ending `.ext`, sorted (so what is derived from them, such as the
/// dashboards' uuid, does not depend on the file system's order), each a rebuild trigger.
fn sources(dir: &str, ext: &str) -> Vec<std::path::PathBuf> {
    println!("cargo:rerun-if-changed={dir}");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir} is not readable: {e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    files.sort();
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    files
}

fn alert_rules() {
    let mut out = String::new();
    for path in sources("src/alert_rules", "rules") {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a UTF-8 file name");
        let text = std::fs::read_to_string(&path).expect("rules readable");
        let yaml: serde_yaml::Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()));
        let json = serde_json::to_string(&yaml).expect("YAML rules as JSON");
        out.push_str(&format!(
            "/// `src/alert_rules/{stem}.rules` as JSON.\npub const RULES_{}: &str = {json:?};\n",
            stem.to_uppercase().replace('-', "_")
        ));
    }
    let dest =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("alert_rules.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

fn dashboards() {
    let files = sources("src/grafana_dashboards", "json");
    let mut out = String::from(
        "/// The dashboards: file stem, base64(xz(JSON)), the library's alternative uid.\n\
         pub const DASHBOARDS: &[Dashboard<'static>] = &[\n",
    );
    for path in files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a UTF-8 file name");
        let json = std::fs::read(&path).expect("dashboard readable");
        let mut xz = Vec::new();
        liblzma::read::XzEncoder::new(&json[..], 6)
            .read_to_end(&mut xz)
            .expect("xz compression of an in-memory buffer");
        let content = base64::engine::general_purpose::STANDARD.encode(&xz);
        let mut hasher = sha3::Shake256::default();
        hasher.update(format!("{CHARM}-file:{stem}").as_bytes());
        let mut alt = [0u8; 8];
        XofReader::read(&mut hasher.finalize_xof(), &mut alt);
        let alt_uid: String = alt.iter().map(|b| format!("{b:02x}")).collect();
        out.push_str(&format!(
            "    Dashboard {{ stem: {stem:?}, content: {content:?}, alt_uid: {alt_uid:?} }},\n"
        ));
    }
    out.push_str("];\n");
    let dest =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("dashboards.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
