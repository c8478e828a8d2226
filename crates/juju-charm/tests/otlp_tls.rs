//! https destinations of `juju_charm::otlp` (feature `otlp-tls`): a receiver on loopback
//! serving a certificate from a CA made here with `openssl`, run by Python's standard
//! library. Trusted with the CA given as the extra PEM; refused without it (the system's
//! roots do not know this CA), and the body is then kept. Skips without `openssl` or
//! `python3` (says so); under CI (`CI` set) it fails instead.
#![cfg(feature = "otlp-tls")]

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use juju_charm::otlp::{Destination, Exporter};

const SERVER: &str = r#"
import http.server, os, ssl, sys
port_file, cert, key, out = sys.argv[1:5]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(out, "ab") as f: f.write(body + b"\n")
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(cert, key)
s.socket = ctx.wrap_socket(s.socket, server_side=True)
open(port_file + ".tmp", "w").write(str(s.server_address[1])); os.rename(port_file + ".tmp", port_file)
s.serve_forever()
"#;

fn have(tool: &str, version_arg: &str) -> bool {
    let ok = Command::new(tool)
        .arg(version_arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "CI must have {tool}");
        eprintln!("SKIPPED: no {tool}");
    }
    ok
}

fn openssl(dir: &Path, args: &[&str]) {
    let st = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "openssl {args:?}");
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn https_receivers_are_verified_against_the_given_ca() {
    if !have("openssl", "version") || !have("python3", "--version") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "srv.key",
            "-out",
            "srv.csr",
        ],
    );
    std::fs::File::create(d.join("ext"))
        .unwrap()
        .write_all(b"subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
        .unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "srv.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "ext",
            "-out",
            "srv.pem",
        ],
    );
    let script = d.join("server.py");
    std::fs::write(&script, SERVER).unwrap();
    let out = d.join("out");
    let _server = Server(
        Command::new("python3")
            .arg(&script)
            .args([
                d.join("port"),
                d.join("srv.pem"),
                d.join("srv.key"),
                out.clone(),
            ])
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    let port: u16 = loop {
        if let Ok(p) = std::fs::read_to_string(d.join("port")) {
            break p.trim().parse().unwrap();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let url = format!("https://127.0.0.1:{port}/v1/traces");
    let exporter = Exporter::new(d.join(".tracing-data"));

    // Without the CA: the handshake fails, and the body is kept.
    let o = exporter.export(
        &Destination::parse(&url, None).unwrap(),
        b"{\"n\":1}".to_vec(),
    );
    assert_eq!((o.sent, o.buffered), (0, 1), "{o:?}");
    assert!(o.error.as_deref().unwrap_or("").contains("TLS"), "{o:?}");

    // With it: both bodies arrive, over TLS.
    let ca = std::fs::read_to_string(d.join("ca.pem")).unwrap();
    let o = exporter.export(
        &Destination::parse(&url, Some(ca)).unwrap(),
        b"{\"n\":2}".to_vec(),
    );
    assert_eq!((o.sent, o.buffered), (2, 0), "{o:?}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "{\"n\":2}\n{\"n\":1}\n"
    );
}
