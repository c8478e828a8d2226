//! The key-keeper charm: keeps a key in a unit-owned secret (created once, found again by its
//! label), shares it with each `clients` relation (a grant, and the secret's id in the unit
//! databag), removes revisions Juju says are unused, and, as a consumer, follows a shared
//! secret's new revisions.

use std::collections::HashMap;

use juju_charm::{
    Context, ErrorKind, Event, HookToolError, HookTools, RelationEventKind, Runner,
    SecretAddOptions, SecretContent, SecretEventKind, SecretId, SecretOwner, SecretRead, SecretRef,
    Status,
};

fn main() -> std::process::ExitCode {
    juju_charm::run_main("key-keeper", keeper)
}

/// One hook: the exit code Juju sees.
pub fn keeper<R: Runner>(env: &HashMap<String, String>, argv0: Option<&str>, runner: R) -> i32 {
    let result = Context::from_env(env, argv0)
        .map_err(|e| e.to_string())
        .and_then(|ctx| handle(&ctx, &HookTools::new(runner)).map_err(|e| e.to_string()));
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("ERROR {e}");
            1
        }
    }
}

const LABEL: &str = "keeper-key";

fn handle<R: Runner>(
    ctx: &Context,
    tools: &HookTools<R>,
) -> Result<(), Box<dyn std::error::Error>> {
    match &ctx.event {
        // A consumer: read the new revision and track it from now on.
        Event::Secret {
            kind: SecretEventKind::Changed,
            id,
            ..
        } => {
            let content = tools.secret_get(&SecretRef::Id(id.clone()), SecretRead::Refresh)?;
            let keys = content.as_map().len();
            return Ok(tools.status_set_unit(&Status::active(format!("following {keys} keys")))?);
        }
        // The owner: nobody reads this revision any more.
        Event::Secret {
            kind: SecretEventKind::Remove,
            id,
            revision,
            ..
        } => tools.secret_remove(id, *revision)?,
        Event::Relation(r) if r.kind == RelationEventKind::Joined => {
            let id = key_secret(ctx, tools)?;
            tools.secret_grant(&id, &r.relation, None)?;
            let bag = [("secret-id".to_owned(), id.to_string())].into();
            tools.relation_set_unit(&r.relation, &bag)?;
        }
        _ => drop(key_secret(ctx, tools)?),
    }
    Ok(tools.status_set_unit(&Status::active("keeping the key"))?)
}

/// The key's secret: found by its label, or created now (committed when the hook succeeds).
fn key_secret<R: Runner>(
    ctx: &Context,
    tools: &HookTools<R>,
) -> Result<SecretId, Box<dyn std::error::Error>> {
    match tools.secret_info_get(&SecretRef::Label(LABEL.into())) {
        Ok(info) => Ok(info.id),
        Err(e) if e.kind() == ErrorKind::SecretNotFound => {
            let key = format!("key of {}", ctx.unit);
            let content = SecretContent::new([("private-key".to_owned(), key)].into())?;
            let options = SecretAddOptions {
                owner: SecretOwner::Unit,
                label: Some(LABEL.into()),
                ..SecretAddOptions::default()
            };
            Ok(tools.secret_add(&content, &options)?)
        }
        Err(e) => Err(Box::<HookToolError>::from(e)),
    }
}
