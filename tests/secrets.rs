//! Juju secrets end to end: the layer's key-keeper example (crates/juju-charm/examples/
//! secrets.rs) through both transports of charm-sim, the `secret-*` events from the command
//! line, and a charm written with Python's ops using secrets against charm-sim.

mod common;
#[allow(dead_code)]
#[path = "../crates/juju-charm/examples/secrets.rs"]
mod keeper;
#[path = "common/venv.rs"]
mod venv;

use std::path::Path;
use std::process::Command;

use charm_sim::inprocess::run_in_process;
use charm_sim::{EventSpec, Report, State};
use common::*;

const KEEPER: &str = "
unit: keeper/0
relations:
  - {id: 3, endpoint: clients, remote_app: client, remote_units: [client/0]}
";

fn keeper_dir() -> tempfile::TempDir {
    let bin = workspace_bin("examples/secrets");
    let dir = charm_dir(".", bin.to_str().expect("utf-8 path"), &[]);
    std::fs::write(
        dir.path().join("metadata.yaml"),
        "name: keeper\nprovides:\n  clients: {interface: key}\nrequires:\n  keys: {interface: key}\n",
    )
    .expect("metadata");
    std::fs::write(
        dir.path().join("dispatch"),
        "#!/bin/sh\nexec ./bin/secrets\n",
    )
    .expect("dispatch");
    std::fs::set_permissions(
        dir.path().join("dispatch"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    dir
}

/// Runs the keeper in-process (its handler over charm-sim's runner) and as the real binary
/// through `dispatch`; both must report the same; returns the process run.
fn keeper_both(dir: &Path, s: &State, spec: &EventSpec) -> Report {
    let a = run_in_process(s, spec, dir, |env, runner| {
        keeper::keeper(env, None, runner)
    })
    .expect("in-process run");
    let b = process_in(dir, s, spec);
    // Content files live in a fresh temporary directory per call.
    let same = |r: &Report| {
        let mut r = r.clone();
        for c in &mut r.calls {
            for a in &mut c.args {
                if let Some((key, path)) = a.split_once("#file=") {
                    let name = Path::new(path).file_name().unwrap().to_string_lossy();
                    *a = format!("{key}#file=<tmp>/{name}");
                }
            }
        }
        observable(&r)
    };
    assert_eq!(
        same(&a),
        same(&b),
        "transports disagree on {spec:?}\nstderr: {}",
        b.stderr
    );
    b
}

fn calls(r: &Report) -> Vec<String> {
    r.calls
        .iter()
        .map(|c| format!("{} {}", c.tool, c.args.join(" ")))
        .collect()
}

#[test]
fn keeper_adds_once_grants_per_relation_and_both_transports_agree() {
    let dir = keeper_dir();
    let r = keeper_both(dir.path(), &state(KEEPER), &EventSpec::new("install"));
    assert!(r.ok(), "{}", r.stderr);
    let s = &r.state.secrets;
    assert_eq!(s.len(), 1);
    assert_eq!(
        (s[0].owner.as_deref(), s[0].label.as_deref(), s[0].latest()),
        (Some("keeper/0"), Some("keeper-key"), 1)
    );
    assert_eq!(s[0].revisions[0].content["private-key"], "key of keeper/0");
    // The content went through a file, never on the command line.
    let add = calls(&r)
        .into_iter()
        .find(|c| c.starts_with("secret-add"))
        .unwrap();
    assert!(
        add.contains("private-key#file=/") && !add.contains("key of"),
        "{add}"
    );

    // The next hook finds it by label; joining grants it to the relation and publishes the id.
    let joined = EventSpec::on("clients-relation-joined", "clients:3").remote_unit("client/0");
    let r = keeper_both(dir.path(), &r.state, &joined);
    assert!(r.ok(), "{}", r.stderr);
    let tools: Vec<&str> = r.calls.iter().map(|c| c.tool.as_str()).collect();
    assert!(!tools.contains(&"secret-add"), "{tools:?}");
    let s = &r.state.secrets[0];
    assert_eq!(s.grants.len(), 1);
    assert_eq!(
        (s.grants[0].relation, s.grants[0].target.as_str()),
        (3, "client")
    );
    assert_eq!(unit_bag(&r, 3)["secret-id"], s.bare_id());

    // The relation broken takes the grant with it.
    let r = keeper_both(
        dir.path(),
        &r.state,
        &EventSpec::on("clients-relation-broken", "clients:3"),
    );
    assert!(r.ok(), "{}", r.stderr);
    assert!(r.state.secrets[0].grants.is_empty());
}

#[test]
fn a_failed_hook_leaves_no_secret_behind() {
    let dir = keeper_dir();
    let mut s = state(KEEPER);
    s.faults.fail_tool.push(charm_sim::state::ToolFault {
        tool: "status-set".into(),
        call: None,
        exit_code: 1,
        stderr: "ERROR injected\n".into(),
    });
    let r = keeper_both(dir.path(), &s, &EventSpec::new("install"));
    assert_eq!(r.exit_code, 1);
    assert!(r.state.secrets.is_empty(), "{:?}", r.state.secrets);
}

const CONSUMER: &str = "
unit: keeper/0
relations:
  - {id: 4, endpoint: keys, remote_app: vault}
secrets:
  - id: 'secret:cs3vu9f0000s75fi8hlg'
    owner: vault
    label: vault-key
    revisions: [{revision: 1, content: {token: a}}, {revision: 2, content: {token: b, extra: c}}]
    grants: [{relation: 4, target: keeper}]
    tracked: 1
  - id: 'secret:cs3vu9f0000s75fi8hm0'
    owner: keeper/0
    label: keeper-key
    revisions: [{revision: 1, content: {private-key: old}}, {revision: 2, content: {private-key: new}}]
";

#[test]
fn secret_events_carry_id_label_and_revision() {
    let dir = keeper_dir();
    let s = state(CONSUMER);
    let mut changed = EventSpec::new("secret-changed");
    changed.secret = Some("vault-key".into());
    let r = keeper_both(dir.path(), &s, &changed);
    assert!(r.ok(), "{}", r.stderr);
    assert_eq!(
        calls(&r)[0],
        "secret-get --format=json secret:cs3vu9f0000s75fi8hlg --refresh"
    );
    assert_eq!(status(&r), ("active".into(), "following 2 keys".into()));
    assert_eq!(r.state.secrets[0].tracked, Some(2));

    let mut remove = EventSpec::new("secret-remove");
    remove.secret = Some("secret:cs3vu9f0000s75fi8hm0".into());
    let r = keeper_both(dir.path(), &s, &remove);
    assert!(r.ok(), "{}", r.stderr);
    assert_eq!(
        calls(&r)[0],
        "secret-remove secret:cs3vu9f0000s75fi8hm0 --revision 1"
    );
    let revisions: Vec<u32> = r.state.secrets[1]
        .revisions
        .iter()
        .map(|r| r.revision)
        .collect();
    assert_eq!(revisions, [2]);
}

fn sim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(sim_bin())
        .args(args)
        .output()
        .expect("run charm-sim");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_line_runs_secret_events_and_hides_content() {
    let dir = keeper_dir();
    let work = tempfile::tempdir().unwrap();
    let state_file = work.path().join("state.yaml");
    std::fs::write(&state_file, CONSUMER).unwrap();
    let out_file = work.path().join("out.yaml");
    let d = dir.path().to_str().unwrap();
    let st = state_file.to_str().unwrap();
    for (args, why) in [
        (
            &["--event", "secret-changed", "--secret", "nope"][..],
            "no secret `nope`",
        ),
        (&["--event", "secret-changed"][..], "--secret"),
        (
            &["--event", "secret-changed", "--secret", "keeper-key"][..],
            "not to the owner",
        ),
        (
            &["--event", "secret-remove", "--secret", "vault-key"][..],
            "to the secret's owner",
        ),
        (
            &["--event", "install", "--secret", "vault-key"][..],
            "secret-* events only",
        ),
        (
            &[
                "--event",
                "secret-expired",
                "--secret",
                "keeper-key",
                "--revision",
                "7",
            ][..],
            "no revision 7",
        ),
    ] {
        let mut a = vec!["run", "--charm-dir", d, "--state", st];
        a.extend_from_slice(args);
        let (code, _, err) = sim(&a);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(why), "{args:?}: {err}");
    }
    let (code, human, err) = sim(&[
        "run",
        "--charm-dir",
        d,
        "--state",
        st,
        "--event",
        "secret-changed",
        "--secret",
        "secret:cs3vu9f0000s75fi8hlg",
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(human.contains("secrets\n"), "{human}");
    assert!(
        human.contains("content extra, token (values hidden)"),
        "{human}"
    );
    assert!(
        !human.contains("token: b") && !human.contains("private-key: new"),
        "{human}"
    );
    let after = State::from_yaml(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    assert_eq!(after.secrets[0].tracked, Some(2));
    assert_eq!(after.secrets[1].revisions[1].content["private-key"], "new");
    // The JSON report carries the secrets whole.
    let (code, json, _) = sim(&[
        "run",
        "--charm-dir",
        d,
        "--state",
        st,
        "--event",
        "secret-changed",
        "--secret",
        "vault-key",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["secrets"][0]["revisions"][1]["content"]["token"], "b");
}

fn ops_venv() -> Option<std::path::PathBuf> {
    venv::venv_or_skip("ops39", &["ops==3.9.0"], "the ops secrets test")
}

/// Real ops code (`app.add_secret`, `get_secret(label=)`, `grant`, `set_content`,
/// `get_info`, `remove_all_revisions`) against charm-sim's secrets, hook after hook.
#[test]
fn python_ops_secrets_work_against_charm_sim() {
    let Some(venv) = ops_venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(ROOT).join("tests/ops_secrets_charm");
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::copy(src.join("metadata.yaml"), dir.path().join("metadata.yaml")).unwrap();
    std::fs::copy(src.join("src/charm.py"), dir.path().join("src/charm.py")).unwrap();
    let dispatch = dir.path().join("dispatch");
    std::fs::write(
        &dispatch,
        format!(
            "#!/bin/sh\nJUJU_DISPATCH_PATH=\"${{JUJU_DISPATCH_PATH:-$0}}\" exec {} ./src/charm.py\n",
            venv.join("bin/python3").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &dispatch,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let run = |s: &State, spec: EventSpec| {
        let r = process_in(dir.path(), s, &spec);
        assert!(
            r.ok(),
            "{} failed: {}\n{:?}",
            spec.event,
            r.stderr,
            r.commit_failure
        );
        r
    };
    let s = state("unit: ops-secrets/0\nleader: true\nrelations:\n  - {id: 5, endpoint: clients, remote_app: consumer, remote_units: [consumer/0]}\n");

    let r = run(&s, EventSpec::new("install"));
    assert_eq!(status(&r), ("active".into(), "secret added".into()));
    let secret = &r.state.secrets[0];
    assert_eq!(
        (
            secret.owner.as_deref(),
            secret.label.as_deref(),
            secret.description.as_deref()
        ),
        (Some("ops-secrets"), Some("db-password"), Some("db"))
    );
    assert_eq!(secret.revisions[0].content["password"], "first-pass");
    let add = r.calls.iter().find(|c| c.tool == "secret-add").unwrap();
    assert!(
        add.args.iter().any(|a| a.starts_with("password#file=")),
        "{:?}",
        add.args
    );

    let r = run(
        &r.state,
        EventSpec::on("clients-relation-joined", "clients:5").remote_unit("consumer/0"),
    );
    let secret = &r.state.secrets[0];
    assert_eq!(secret.grants.len(), 1);
    assert_eq!(
        (secret.grants[0].relation, secret.grants[0].target.as_str()),
        (5, "consumer")
    );
    // ops gives the id in its canonical form, `secret://<model-uuid>/<id>`.
    assert_eq!(app_bag(&r, 5)["secret-id"], secret.id);

    let r = run(&r.state, EventSpec::new("config-changed"));
    assert_eq!(status(&r), ("active".into(), "revision 1 pending".into()));
    let secret = &r.state.secrets[0];
    assert_eq!(secret.latest(), 2);
    assert_eq!(secret.revisions[1].content["password"], "second-pass");

    let r = run(&r.state, EventSpec::new("stop"));
    assert!(r.state.secrets.is_empty());
    // Once gone, ops sees SecretNotFoundError and the hook still succeeds.
    let r = run(&r.state, EventSpec::new("stop"));
    assert!(r.calls.iter().any(|c| c.tool == "secret-get"));
}
