//! `charm-sim`: run any charm (this one, or one in another language) exactly as Juju's unit
//! agent would, offline. Invoked under a hook tool's name (`relation-get`, ...) it is that
//! tool, talking to the simulator that started the hook.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use charm_sim::action_spec;
use charm_sim::hook::SimError;
use charm_sim::model::TOOLS;
use charm_sim::pack::{pack, PackOptions};
use charm_sim::process::{run_process, tool_client, ProcessOptions};
use charm_sim::scenario::{run_scenario, Scenario};
use charm_sim::{EventSpec, Report, State};

const USAGE: &str = "\
charm-sim: run a charm as Juju would, offline

USAGE:
  charm-sim run --charm-dir DIR --state STATE.yaml (--event EVENT | --action NAME) [OPTIONS]
  charm-sim scenario --charm-dir DIR --file SCENARIO.yaml [OPTIONS]
  charm-sim pack --charm-dir DIR --binary PATH [--out DIR] [--legacy-hooks]
  charm-sim COMMAND --help     the options of one command

Before each hook the state and the event are checked against the charm's metadata.yaml (or
charmcraft.yaml), config.yaml and actions.yaml: what Juju could never run is refused.
Exit status: 0 when every hook (and action) succeeded, 1 when one failed, 2 on a usage,
state or consistency error.";

const RUN_USAGE: &str = "\
charm-sim run: run one hook or action of a charm directory against a state

USAGE:
  charm-sim run --charm-dir DIR --state STATE.yaml --event EVENT
                [--relation ENDPOINT:ID] [--remote-unit APP/N] [--departing-unit APP/N]
                [--check NAME] [--notice-key KEY] [--secret ID|LABEL [--revision N]]
                [--out NEW_STATE.yaml] [--format human|json] [--wrap \"COMMAND ARGS\"]
  charm-sim run --charm-dir DIR --state STATE.yaml --action NAME [--param KEY=VALUE]...
                [--out NEW_STATE.yaml] [--format human|json] [--wrap \"COMMAND ARGS\"]

EVENT is a hook name (install, leader-elected, tempo-api-relation-joined, ...) or
actions/<name>. --action runs an action as `juju run` does: it must be declared
(actions.yaml, or charmcraft.yaml's actions:), each --param value is YAML and dots nest, the
schema's defaults are filled in; the report gives its status and results. The state file is
YAML; see examples/ for the fields. --check names the check of a -pebble-check-failed or
-recovered event, --notice-key the key of a -pebble-custom-notice, --secret the secret (id or
label) of a secret-* event and --revision its revision. --wrap runs the charm's
handler under a command (e.g. \"valgrind --tool=callgrind\") for measurements. --out writes the
state after the hook.";

const SCENARIO_USAGE: &str = "\
charm-sim scenario: run several hooks in a row, each seeing the state the last one left

USAGE:
  charm-sim scenario --charm-dir DIR --file SCENARIO.yaml
                     [--out NEW_STATE.yaml] [--format human|json] [--wrap \"COMMAND ARGS\"]

A scenario file has `state:` (inline) or `state_file:` (relative to it), and `events:`. A
step is a hook name, {event, relation, remote_unit, departing_unit, check, notice_key}, or a
change of the world between hooks: {relate: RELATION}, {remote_writes: {relation, app,
units}}, {container_up: NAME}; see examples/deploy-scenario.yaml. Every hook name is checked
before the first hook runs. It stops after the first failed hook.";

const PACK_USAGE: &str = "\
charm-sim pack: pack a charm whose handler is one compiled binary into a .charm

USAGE:
  charm-sim pack --charm-dir DIR --binary PATH [--out DIR] [--legacy-hooks]

DIR holds metadata.yaml (or a charmcraft.yaml with name: and the metadata keys), and may
hold config.yaml, actions.yaml (or charmcraft.yaml's config: and actions:), dispatch (else
one is written that execs bin/<binary>), LICENSE, README.md, icon.svg. The binary goes to
bin/<its name>; manifest.yaml is written as charmcraft 4.5 writes it. --legacy-hooks adds
hooks/<name> links to dispatch. Writes <name>_ubuntu@24.04-amd64.charm into --out (default:
the current directory) and prints its path.";

/// The options each command takes (`true`: it takes a value).
fn options(cmd: &str) -> Option<(&'static str, &'static [(&'static str, bool)])> {
    const COMMON: [(&str, bool); 4] = [
        ("--charm-dir", true),
        ("--out", true),
        ("--format", true),
        ("--wrap", true),
    ];
    const RUN: &[(&str, bool)] = &[
        COMMON[0],
        COMMON[1],
        COMMON[2],
        COMMON[3],
        ("--state", true),
        ("--event", true),
        ("--action", true),
        ("--param", true),
        ("--relation", true),
        ("--remote-unit", true),
        ("--departing-unit", true),
        ("--check", true),
        ("--notice-key", true),
        ("--secret", true),
        ("--revision", true),
    ];
    const SCENARIO: &[(&str, bool)] =
        &[COMMON[0], COMMON[1], COMMON[2], COMMON[3], ("--file", true)];
    const PACK: &[(&str, bool)] = &[
        ("--charm-dir", true),
        ("--binary", true),
        ("--out", true),
        ("--legacy-hooks", false),
    ];
    match cmd {
        "run" => Some((RUN_USAGE, RUN)),
        "scenario" => Some((SCENARIO_USAGE, SCENARIO)),
        "pack" => Some((PACK_USAGE, PACK)),
        _ => None,
    }
}

struct Args {
    cmd: String,
    usage: &'static str,
    help: bool,
    charm_dir: Option<PathBuf>,
    state: Option<PathBuf>,
    file: Option<PathBuf>,
    out: Option<PathBuf>,
    binary: Option<PathBuf>,
    legacy_hooks: bool,
    json: bool,
    spec: EventSpec,
    wrap: Vec<String>,
    action: Option<String>,
    params: Vec<String>,
}

/// The arguments; `None` when the top-level help is asked for.
fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Option<Args>> {
    let cmd = argv.next().unwrap_or_default();
    let Some((usage, allowed)) = options(&cmd) else {
        if matches!(cmd.as_str(), "" | "-h" | "--help" | "help") {
            return Ok(None);
        }
        bail!("unknown command `{cmd}` (the commands are run, scenario, pack)\n\n{USAGE}");
    };
    let mut a = Args {
        cmd,
        usage,
        help: false,
        charm_dir: None,
        state: None,
        file: None,
        out: None,
        binary: None,
        legacy_hooks: false,
        json: false,
        spec: EventSpec::default(),
        wrap: Vec::new(),
        action: None,
        params: Vec::new(),
    };
    while let Some(flag) = argv.next() {
        if flag == "-h" || flag == "--help" {
            a.help = true;
            return Ok(Some(a));
        }
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (flag.clone(), None),
        };
        let takes_value = match allowed.iter().find(|(n, _)| *n == name) {
            Some((_, v)) => *v,
            None if name.starts_with('-') => bail!(
                "`charm-sim {}` has no option `{name}` (see `charm-sim {} --help`)",
                a.cmd,
                a.cmd
            ),
            None => bail!(
                "unexpected argument `{name}` for `charm-sim {}`: options are `--name value` (see `charm-sim {} --help`)",
                a.cmd,
                a.cmd
            ),
        };
        if !takes_value {
            if inline.is_some() {
                bail!("{name} takes no value");
            }
            a.legacy_hooks = true;
            continue;
        }
        let mut value = || -> Result<String> {
            inline
                .clone()
                .or_else(|| argv.next())
                .with_context(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "--charm-dir" => a.charm_dir = Some(value()?.into()),
            "--state" => a.state = Some(value()?.into()),
            "--file" => a.file = Some(value()?.into()),
            "--out" => a.out = Some(value()?.into()),
            "--binary" => a.binary = Some(value()?.into()),
            "--event" => a.spec.event = value()?,
            "--action" => a.action = Some(value()?),
            "--param" => a.params.push(value()?),
            "--relation" => a.spec.relation = Some(value()?),
            "--remote-unit" => a.spec.remote_unit = Some(value()?),
            "--departing-unit" => a.spec.departing_unit = Some(value()?),
            "--check" => a.spec.check = Some(value()?),
            "--notice-key" => a.spec.notice_key = Some(value()?),
            "--secret" => a.spec.secret = Some(value()?),
            "--revision" => {
                let v = value()?;
                a.spec.secret_revision = Some(
                    v.parse()
                        .with_context(|| format!("--revision takes a number, not `{v}`"))?,
                );
            }
            "--wrap" => a.wrap = value()?.split_whitespace().map(str::to_owned).collect(),
            "--format" => match value()?.as_str() {
                "json" => a.json = true,
                "human" => a.json = false,
                other => bail!("--format takes human or json, not `{other}`"),
            },
            other => bail!("option `{other}` is not handled"),
        }
    }
    Ok(Some(a))
}

/// A path the user gave that must exist.
fn existing(path: Option<PathBuf>, flag: &str, what: &str, usage: &str) -> Result<PathBuf> {
    let path = path.with_context(|| format!("{flag} is required\n\n{usage}"))?;
    if !path.exists() {
        bail!("{flag} `{}`: no such {what}", path.display());
    }
    Ok(path)
}

fn main() -> ExitCode {
    let mut argv = std::env::args();
    let argv0 = argv.next().unwrap_or_default();
    let name = Path::new(&argv0)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    if TOOLS.contains(&name.as_str()) {
        let code = tool_client(&name, argv.collect());
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    match real_main(argv) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("charm-sim: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn real_main(argv: impl Iterator<Item = String>) -> Result<bool> {
    // Help goes to stdout; a closed pipe (`| head`) is not an error.
    let help = |text: &str| {
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), "{text}");
        Ok(true)
    };
    let Some(args) = parse_args(argv)? else {
        return help(USAGE);
    };
    if args.help {
        return help(args.usage);
    }
    let charm_dir = existing(
        args.charm_dir.clone(),
        "--charm-dir",
        "directory",
        args.usage,
    )?;
    if args.cmd == "pack" {
        let binary = existing(args.binary.clone(), "--binary", "file", args.usage)?;
        let mut opts = PackOptions::new(&charm_dir, binary);
        opts.legacy_hooks = args.legacy_hooks;
        let out_dir = args.out.clone().unwrap_or_else(|| PathBuf::from("."));
        let charm = pack(&opts, &out_dir)?;
        println!("{}", charm.display());
        return Ok(true);
    }
    let mut opts = ProcessOptions::new(
        std::env::current_exe().context("cannot find the charm-sim executable")?,
    );
    opts.wrapper = args.wrap.clone();
    let reports: Vec<Report> = match args.cmd.as_str() {
        "run" => {
            let path = existing(args.state.clone(), "--state", "file", args.usage)?;
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read state file `{}`", path.display()))?;
            let mut state = State::from_yaml(&text)
                .with_context(|| format!("state file `{}`", path.display()))?;
            let mut spec = args.spec.clone();
            match (&args.action, spec.event.is_empty()) {
                (Some(name), true) => {
                    // As `juju run`: declared action, YAML values, schema defaults.
                    let given = action_spec::parse_params(name, &args.params)?;
                    state.action_params = action_spec::resolve(&charm_dir, name, given)?;
                    spec.event = format!("actions/{name}");
                }
                (Some(_), false) => bail!("give --event or --action, not both\n\n{RUN_USAGE}"),
                (None, true) => bail!("--event or --action is required\n\n{RUN_USAGE}"),
                (None, false) if !args.params.is_empty() => {
                    bail!("--param goes with --action\n\n{RUN_USAGE}")
                }
                (None, false) => {}
            }
            let flag = if args.action.is_some() {
                "--action"
            } else {
                "--event"
            };
            match run_process(&state, &spec, &charm_dir, &opts, 1) {
                Err(SimError::Inconsistent(r)) => {
                    let at = format!("state file `{}`", path.display());
                    bail!("{}", r.located(&at, &format!("{flag} `{}`", spec.event)))
                }
                other => vec![other?],
            }
        }
        "scenario" => {
            let path = existing(args.file.clone(), "--file", "file", args.usage)?;
            let (scenario, state) = Scenario::load(&path)
                .with_context(|| format!("scenario file `{}`", path.display()))?;
            run_scenario(state, &scenario.events, &charm_dir, &opts)
                .with_context(|| format!("scenario file `{}`", path.display()))?
        }
        other => bail!("unknown command `{other}`\n\n{USAGE}"),
    };
    if let (Some(out), Some(last)) = (&args.out, reports.last()) {
        std::fs::write(out, last.state.to_yaml())
            .with_context(|| format!("cannot write `{}`", out.display()))?;
    }
    if args.json {
        let value = if args.cmd == "run" {
            serde_json::to_value(&reports[0])?
        } else {
            serde_json::to_value(&reports)?
        };
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        let colour = std::io::stdout().is_terminal();
        for r in &reports {
            print!("{}", r.human(colour));
        }
    }
    // As `juju run`, a failed action fails the command (Juju itself does not retry it).
    Ok(reports
        .iter()
        .all(|r| r.ok() && r.action.as_ref().is_none_or(|a| a.status == "completed")))
}
