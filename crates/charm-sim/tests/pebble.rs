//! One suite of Pebble behaviours (from shared/reference/pebble-and-nginx.md), run with the
//! layer's client against charm-sim's Pebble, and against a real `pebble` binary when one
//! is on PATH (`pebble run` in a temp dir; skipped with a message otherwise). Then the
//! client against Pebbles that misbehave, and the exact bytes it sends.

use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use charm_sim::pebble::{CannedExec, ContainerState, PebbleServer};
use juju_charm::pebble::{
    CheckLevel, Container, ExecOptions, Layer, MakeDirOptions, Override, Pebble, PebbleError,
    PushOptions, Service, Startup, TcpCheck,
};

/// A Pebble to test against: charm-sim's, or a real one.
enum Target {
    Sim(Option<PebbleServer>, tempfile::TempDir),
    Real(Child, tempfile::TempDir),
}

impl Target {
    fn sim() -> (Self, Pebble) {
        let dir = tempfile::tempdir().unwrap();
        let mut c = ContainerState::new("work");
        c.faults.fail_start = vec!["crasher".into()];
        c.exec = vec![
            CannedExec {
                command: vec!["echo".into(), "hi".into()],
                stdout: "hi\n".into(),
                stderr: String::new(),
                exit_code: 0,
            },
            CannedExec {
                command: vec!["sh".into(), "-c".into(), "echo oops >&2; exit 3".into()],
                stdout: String::new(),
                stderr: "oops\n".into(),
                exit_code: 3,
            },
        ];
        let server = PebbleServer::start(dir.path(), &[c]).unwrap();
        let pebble = Container::new(dir.path(), "work").pebble().clone();
        (Self::Sim(Some(server), dir), pebble)
    }

    fn real() -> Option<(Self, Pebble)> {
        let found = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).any(|d| d.join("pebble").is_file()))
            .unwrap_or(false);
        if !found {
            eprintln!("SKIPPED real-Pebble half: no `pebble` on PATH (build canonical/pebble's cmd/pebble and put it on PATH to run it)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join(".pebble.socket");
        let child = Command::new("pebble")
            .args(["run", "--create-dirs"])
            .env("PEBBLE", dir.path())
            .env("PEBBLE_SOCKET", &socket)
            .spawn()
            .ok()?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let pebble = Pebble::new(&socket);
        while !pebble.can_connect() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        Some((Self::Real(child, dir), pebble))
    }

    fn is_sim(&self) -> bool {
        matches!(self, Self::Sim(..))
    }

    /// A scratch path that is valid in both (the real Pebble writes real files).
    fn scratch(&self) -> PathBuf {
        match self {
            Self::Sim(_, d) | Self::Real(_, d) => d.path().join("scratch"),
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        match self {
            Self::Sim(s, _) => {
                if let Some(s) = s.take() {
                    s.stop();
                }
            }
            Self::Real(c, _) => {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

fn service(command: &str) -> Service {
    Service {
        override_: Some(Override::Replace),
        command: Some(command.into()),
        startup: Some(Startup::Enabled),
        ..Service::default()
    }
}

/// The behaviours both Pebbles must show.
fn behaviours(t: &Target, p: &Pebble) {
    assert!(p.can_connect());
    assert!(!p.get_system_info().unwrap().version.is_empty());
    assert_eq!(
        p.get_plan().unwrap(),
        Layer::default(),
        "a fresh plan is empty"
    );

    // Layers: add, combine, refuse a second add of a label, refuse a missing override.
    let mut layer = Layer::default();
    layer
        .services
        .insert("sleeper".into(), service("sleep 1000"));
    p.add_layer("base", &layer, false).unwrap();
    p.add_layer("base", &layer, true).unwrap();
    match p.add_layer("base", &layer, false) {
        Err(PebbleError::Api {
            code: 400, message, ..
        }) => assert!(message.contains("already exists"), "{message}"),
        other => panic!("second add: {other:?}"),
    }
    let mut no_override = Layer::default();
    no_override.services.insert(
        "x".into(),
        Service {
            command: Some("sleep 1".into()),
            ..Service::default()
        },
    );
    match p.add_layer("bad", &no_override, false) {
        Err(PebbleError::Api {
            code: 400, message, ..
        }) => assert!(message.contains("must define \"override\""), "{message}"),
        other => panic!("no override: {other:?}"),
    }
    let plan = p.get_plan().unwrap();
    assert_eq!(
        plan.services["sleeper"].command.as_deref(),
        Some("sleep 1000")
    );

    // Services: replan starts what is enabled; stop and start.
    let change = p.replan().unwrap();
    assert!(change.ready && change.err.is_none());
    let svcs = p.get_services(&["sleeper", "nonexistent"]).unwrap();
    assert_eq!(svcs.len(), 1, "unknown names are left out");
    assert!(svcs[0].is_running());
    p.stop(&["sleeper"]).unwrap();
    assert!(!p.get_services(&["sleeper"]).unwrap()[0].is_running());
    p.start(&["sleeper"]).unwrap();
    match p.start(&[]) {
        Err(PebbleError::Api {
            code: 400, message, ..
        }) => assert!(message.contains("must specify services"), "{message}"),
        other => panic!("start nothing: {other:?}"),
    }

    // A service that cannot start: the change fails with `err`.
    let mut crash = Layer::default();
    crash
        .services
        .insert("crasher".into(), service("sh -c 'exit 1'"));
    p.add_layer("crash", &crash, false).unwrap();
    match p.start(&["crasher"]) {
        Err(PebbleError::Change { change }) => {
            assert_eq!(change.status, "Error");
            assert!(
                change
                    .err
                    .as_deref()
                    .unwrap_or("")
                    .contains("Start service \"crasher\""),
                "{change:?}"
            );
        }
        other => panic!("crasher: {other:?}"),
    }
    match p.send_signal("SIGHUP", &["crasher"]) {
        Err(PebbleError::Api {
            code: 500, message, ..
        }) => assert!(message.contains("not running"), "{message}"),
        other => panic!("signal: {other:?}"),
    }
    p.send_signal("SIGHUP", &["sleeper"]).unwrap();

    // Files.
    let dir = t.scratch();
    let file = dir.join("a/b/config.yaml");
    let file = file.to_str().unwrap();
    match p.push(file, b"x", &PushOptions::default()) {
        Err(PebbleError::Path { kind, .. }) => assert_eq!(kind, "not-found"),
        other => panic!("push without make-dirs: {other:?}"),
    }
    p.push(
        file,
        b"key: value\n",
        &PushOptions::default().make_dirs().permissions(0o640),
    )
    .unwrap();
    assert_eq!(p.pull(file).unwrap(), b"key: value\n");
    let listed = p
        .list_files(dir.join("a/b").to_str().unwrap(), None, false)
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].name.as_str(), listed[0].permissions.as_str()),
        ("config.yaml", "640")
    );
    match p.pull(dir.join("missing").to_str().unwrap()) {
        Err(PebbleError::Path { kind, .. }) => assert_eq!(kind, "not-found"),
        other => panic!("pull missing: {other:?}"),
    }
    match p.pull(dir.join("a").to_str().unwrap()) {
        Err(PebbleError::Path { kind, message, .. }) => {
            assert_eq!(kind, "generic-file-error");
            assert!(
                message.contains("can only read a regular file"),
                "{message}"
            );
        }
        other => panic!("pull a directory: {other:?}"),
    }
    match p.list_files(dir.join("missing").to_str().unwrap(), None, false) {
        Err(PebbleError::Path { kind, .. }) => assert_eq!(kind, "not-found"),
        other => panic!("list missing: {other:?}"),
    }
    match p.push("relative/x", b"x", &PushOptions::default()) {
        Err(PebbleError::Path { message, .. }) => {
            assert!(message.contains("must be absolute"), "{message}")
        }
        other => panic!("relative push: {other:?}"),
    }
    let made = dir.join("made/deep");
    p.make_dir(
        made.to_str().unwrap(),
        &MakeDirOptions {
            make_parents: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        p.list_files(made.to_str().unwrap(), None, true).unwrap()[0].file_type,
        "directory"
    );
    p.remove_path(dir.join("a").to_str().unwrap(), true)
        .unwrap();
    assert!(p.pull(file).is_err());

    // Checks.
    let mut checks = Layer::default();
    checks.checks.insert(
        "up".into(),
        juju_charm::pebble::Check {
            override_: Some(Override::Replace),
            level: Some(CheckLevel::Ready),
            period: Some("10s".into()),
            tcp: Some(TcpCheck {
                port: 1,
                host: Some("127.0.0.1".into()),
            }),
            ..Default::default()
        },
    );
    p.add_layer("checks", &checks, false).unwrap();
    let infos = p.get_checks(Some(CheckLevel::Ready), &[]).unwrap();
    assert_eq!(
        infos.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["up"]
    );
    assert_eq!(p.stop_checks(&["up"]).unwrap(), ["up"]);
    assert_eq!(p.stop_checks(&["up"]).unwrap(), Vec::<String>::new());
    assert_eq!(p.get_checks(None, &["up"]).unwrap()[0].status, "inactive");
    assert_eq!(p.start_checks(&["up"]).unwrap(), ["up"]);

    // Exec.
    let out = p.exec(&["echo", "hi"], &ExecOptions::default()).unwrap();
    assert_eq!(out.stdout, b"hi\n");
    match p.exec(
        &["sh", "-c", "echo oops >&2; exit 3"],
        &ExecOptions::default(),
    ) {
        Err(PebbleError::Exec {
            exit_code, stderr, ..
        }) => {
            assert_eq!(exit_code, 3);
            assert_eq!(stderr, b"oops\n");
        }
        other => panic!("exit 3: {other:?}"),
    }
    match p.exec(&["/nonexistent/bin"], &ExecOptions::default()) {
        Err(PebbleError::Api {
            code: 400, message, ..
        }) => assert!(message.contains("cannot find executable"), "{message}"),
        other => panic!("missing executable: {other:?}"),
    }

    // Unknown endpoints and changes.
    match p.get_change("999999") {
        Err(PebbleError::Api { code: 404, .. }) => {}
        other => panic!("unknown change: {other:?}"),
    }
}

#[test]
fn the_client_and_charm_sims_pebble_agree_with_the_contract() {
    let (t, p) = Target::sim();
    behaviours(&t, &p);
    assert!(t.is_sim());
}

#[test]
fn the_client_and_a_real_pebble_agree_with_the_contract() {
    if let Some((t, p)) = Target::real() {
        behaviours(&t, &p);
    }
}

#[test]
fn the_simulator_records_exec_stdin_and_serves_slow_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = ContainerState::new("w");
    c.exec = vec![CannedExec {
        command: vec!["cat".into()],
        stdout: "out".into(),
        stderr: String::new(),
        exit_code: 0,
    }];
    c.faults.slow_changes = 3;
    let server = PebbleServer::start(dir.path(), &[c]).unwrap();
    // With a 1 s socket timeout each /wait asks for the minimum; a slow change answers 504
    // three times, and the client asks again each time, as ops does.
    let p = Container::new(dir.path(), "w")
        .pebble()
        .clone()
        .with_timeout(Duration::from_secs(1));
    let opts = ExecOptions {
        stdin: Some(b"piped in".to_vec()),
        ..Default::default()
    };
    assert_eq!(p.exec(&["cat", "-"], &opts).unwrap().stdout, b"out");
    let mut layer = Layer::default();
    layer.services.insert("s".into(), service("sleep 1"));
    p.add_layer("l", &layer, false).unwrap();
    let change = p.replan().unwrap();
    assert_eq!(change.id, "2");
    let outcome = server.stop();
    assert_eq!(outcome[0].state.exec_calls[0].stdin, "piped in");
    assert_eq!(outcome[0].state.exec_calls[0].command, ["cat", "-"]);
    let waits = outcome[0]
        .requests
        .iter()
        .filter(|r| *r == "GET /v1/changes/2/wait")
        .count();
    assert_eq!(waits, 4, "{:?}", outcome[0].requests);
}

#[test]
fn waiting_for_a_change_gives_up_at_the_callers_timeout() {
    // A Pebble whose /wait always times out (504), on every connection.
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("pebble.socket");
    let listener = UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { break };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            std::thread::sleep(Duration::from_millis(50));
            let body = r#"{"type":"error","status-code":504,"status":"Gateway Timeout","result":{"message":"timed out waiting for change after 50ms"}}"#;
            let _ = write!(
                s,
                "HTTP/1.1 504 Gateway Timeout\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let started = Instant::now();
    match Pebble::new(&socket).wait_change("7", Duration::from_millis(300)) {
        Err(PebbleError::Timeout { what, .. }) => assert_eq!(what, "change 7"),
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn an_unreachable_container_is_a_connection_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = ContainerState::new("down");
    c.can_connect = false;
    let server = PebbleServer::start(dir.path(), &[c]).unwrap();
    let p = Container::new(dir.path(), "down");
    assert!(!p.can_connect());
    let e = p.get_plan().unwrap_err();
    assert!(e.is_unreachable(), "{e}");
    assert!(e.to_string().contains("may not be ready yet"), "{e}");
    // A container the state leaves out has no socket at all.
    assert!(Container::new(dir.path(), "undeclared")
        .get_system_info()
        .unwrap_err()
        .is_unreachable());
    server.stop();
}

/// A Pebble that answers each connection with `answer` (after reading the request), and
/// hands back what it received.
fn rogue(
    answer: Vec<u8>,
    delay: Duration,
) -> (tempfile::TempDir, PathBuf, std::thread::JoinHandle<Vec<u8>>) {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("pebble.socket");
    let listener = UnixListener::bind(&socket).unwrap();
    let h = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 65536];
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        std::thread::sleep(delay);
        let _ = s.write_all(&answer);
        got
    });
    (dir, socket, h)
}

#[test]
fn a_pebble_that_misbehaves_gives_typed_errors_not_panics_or_hangs() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "garbage",
            b"\x00\x01garbage\r\n\r\n".to_vec(),
            "not an HTTP response",
        ),
        ("closes early", Vec::new(), "closed without an answer"),
        (
            "cut short",
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"type\"".to_vec(),
            "cut short",
        ),
        (
            "not JSON",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".to_vec(),
            "not JSON",
        ),
        (
            "huge",
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", 1u64 << 40).into_bytes(),
            "larger than",
        ),
    ];
    for (name, answer, expect) in cases {
        let (_d, socket, h) = rogue(answer, Duration::ZERO);
        let e = Pebble::new(&socket).get_system_info().unwrap_err();
        assert!(matches!(e, PebbleError::Protocol { .. }), "{name}: {e:?}");
        assert!(e.to_string().contains(expect), "{name}: {e}");
        h.join().unwrap();
    }
    // Silent: the socket timeout ends the wait.
    let (_d, socket, h) = rogue(Vec::new(), Duration::from_millis(2500));
    let started = Instant::now();
    let e = Pebble::new(&socket)
        .with_timeout(Duration::from_secs(1))
        .get_system_info()
        .unwrap_err();
    assert!(matches!(e, PebbleError::Timeout { .. }), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    h.join().unwrap();
}

#[test]
fn the_client_sends_ops_shaped_bytes() {
    // A push: multipart with the request part first, a 32-character boundary, the path as
    // the file part's filename.
    let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 74\r\n\r\n{\"type\":\"sync\",\"status-code\":200,\"status\":\"OK\",\"result\":[{\"path\":\"/x\"}]}".to_vec();
    let (_d, socket, h) = rogue(ok.clone(), Duration::ZERO);
    Pebble::new(&socket)
        .push(
            "/etc/x.conf",
            b"data",
            &PushOptions::default().make_dirs().permissions(0o640),
        )
        .unwrap_or(());
    let sent = String::from_utf8(h.join().unwrap()).unwrap();
    let boundary = sent
        .split("boundary=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    assert_eq!(boundary.len(), 32);
    let body = sent
        .split("\r\n\r\n")
        .skip(1)
        .collect::<Vec<_>>()
        .join("\r\n\r\n");
    assert!(body.starts_with(&format!("--{boundary}\r\nContent-Type: application/json\r\nContent-Disposition: form-data; name=\"request\"\r\n\r\n{{\"action\":\"write\",\"files\":[{{\"make-dirs\":true,\"path\":\"/etc/x.conf\",\"permissions\":\"640\"}}]}}\r\n")), "{body}");
    assert!(
        body.contains("name=\"files\"; filename=\"/etc/x.conf\"\r\n\r\ndata\r\n"),
        "{body}"
    );
    assert!(sent.starts_with("POST /v1/files HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: identity\r\nAccept: application/json\r\nConnection: close\r\n"), "{sent}");

    // A pull asks for multipart.
    let (_d, socket, h) = rogue(ok.clone(), Duration::ZERO);
    let _ = Pebble::new(&socket).pull("/etc/x.conf");
    let sent = String::from_utf8(h.join().unwrap()).unwrap();
    assert!(
        sent.starts_with("GET /v1/files?action=read&path=%2Fetc%2Fx.conf HTTP/1.1\r\n"),
        "{sent}"
    );
    assert!(
        sent.contains("\r\nAccept: multipart/form-data\r\n"),
        "{sent}"
    );

    // JSON bodies.
    let (_d, socket, h) = rogue(ok, Duration::ZERO);
    let mut layer = Layer::default();
    layer.services.insert("s".into(), service("run"));
    let _ = Pebble::new(&socket).add_layer("tempo", &layer, true);
    let sent = String::from_utf8(h.join().unwrap()).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(sent.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(json["action"], "add");
    assert_eq!(json["combine"], true);
    assert_eq!(json["label"], "tempo");
    assert_eq!(json["format"], "yaml");
    assert_eq!(
        Layer::from_yaml(json["layer"].as_str().unwrap()).unwrap(),
        layer
    );
}

#[test]
fn the_simulators_pebble_refuses_what_real_pebble_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let server = PebbleServer::start(dir.path(), &[ContainerState::new("w")]).unwrap();
    let socket = dir.path().join("w/pebble.socket");
    let send = |raw: &str| -> String {
        let mut s = std::os::unix::net::UnixStream::connect(&socket).unwrap();
        s.write_all(raw.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let body = "--BB\r\nContent-Disposition: form-data; name=\"request\"\r\n\r\n{}\r\n--BB--\r\n";
    let short = send(&format!("POST /v1/files HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=BB\r\nContent-Length: {}\r\n\r\n{body}", body.len()));
    assert!(short.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{short}");
    assert!(
        short.contains(r#""message":"invalid boundary \"BB\"""#),
        "{short}"
    );
    let b = "b".repeat(32);
    let body = format!("--{b}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"/x\"\r\n\r\nx\r\n--{b}--\r\n");
    let first = send(&format!("POST /v1/files HTTP/1.1\r\nContent-Type: multipart/form-data; boundary={b}\r\nContent-Length: {}\r\n\r\n{body}", body.len()));
    assert!(
        first.contains(r#"metadata field name must be \"request\", got \"files\""#),
        "{first}"
    );
    let plan = send("GET /v1/plan HTTP/1.1\r\n\r\n");
    assert!(plan.contains(r#"invalid format \"\""#), "{plan}");
    let pull = send("GET /v1/files?action=read&path=%2Fx HTTP/1.1\r\n\r\n");
    assert!(pull.contains("must accept multipart/form-data"), "{pull}");
    let unknown = send("GET /v1/nothing HTTP/1.1\r\n\r\n");
    assert!(unknown.starts_with("HTTP/1.1 404"), "{unknown}");
    assert!(
        unknown.contains("invalid API endpoint requested"),
        "{unknown}"
    );
    // An async answer keeps `"result":null`.
    let replan = send("POST /v1/services HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"action\": \"replan\", \"services\": []}    ");
    assert!(replan.starts_with("HTTP/1.1 202 Accepted"), "{replan}");
    assert!(
        replan.contains(r#""result":null"#) && replan.contains(r#""type":"async""#),
        "{replan}"
    );
    server.stop();
}
