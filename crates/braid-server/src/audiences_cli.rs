//! `braid audiences ...`: manage audiences of a running braid through its admin API,
//! with a progress bar while a backfill or clean-up job walks the profiles, and the
//! overflow check that warns before any sync.

use anyhow::{bail, Context};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What `braid audiences` does.
#[derive(Debug, Subcommand)]
pub enum AudienceAction {
    /// Print the audiences and any pending jobs.
    List,
    /// Create audiences from a JSON file (one audience or a list), then follow each
    /// backfill with a progress bar.
    Create {
        #[arg(long)]
        file: PathBuf,
        /// Return once the audience is stored, without waiting for its backfill.
        #[arg(long)]
        no_wait: bool,
    },
    /// Replace an audience with the definition in a JSON file (same id), then follow
    /// the backfill.
    Replace {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        no_wait: bool,
    },
    /// Delete an audience. With --cleanup, first take it out of every member's Braze
    /// profile (`In <name>` = false, string and array rewritten).
    Delete {
        id: u64,
        #[arg(long)]
        cleanup: bool,
        #[arg(long)]
        no_wait: bool,
    },
    /// Deactivate an audience (memberships frozen). With --cleanup, take it out of Braze.
    Deactivate {
        id: u64,
        #[arg(long)]
        cleanup: bool,
        #[arg(long)]
        no_wait: bool,
    },
    /// Print every audience job with its progress.
    Jobs,
    /// Warn which "Send Segments As" forms would overflow Braze's limits, for how many
    /// users: for current memberships, or for the definitions in --file added to them.
    Check {
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

/// An admin API client for one running braid.
pub struct AdminClient {
    base: String,
    key: String,
    secret: braid_core::Secret,
    http: reqwest::Client,
}

impl AdminClient {
    /// A client for `base` (`http://host:port`) with admin credentials.
    pub fn new(base: String, key: String, secret: braid_core::Secret) -> Self {
        AdminClient {
            base,
            key,
            secret,
            http: reqwest::Client::new(),
        }
    }

    /// One admin API call; the JSON answer, or an error with braid's message.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .basic_auth(&self.key, Some(self.secret.expose()));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("calling braid at {}", self.base))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let message = body["errors"][0]["message"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| body.to_string());
            bail!("braid answered {status}: {message}");
        }
        Ok(body)
    }
}

pub(crate) fn read_definitions(file: &Path) -> anyhow::Result<Vec<Value>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let value: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    Ok(match value {
        Value::Array(items) => items,
        one => vec![one],
    })
}

/// Run one `braid audiences` action.
pub async fn run(client: &AdminClient, action: AudienceAction) -> anyhow::Result<()> {
    use reqwest::Method;
    match action {
        AudienceAction::List => {
            let body = client.call(Method::GET, "/api/v1/audiences", None).await?;
            println!("{}", serde_json::to_string_pretty(&body)?);
        }
        AudienceAction::Jobs => {
            let body = client
                .call(Method::GET, "/api/v1/audiences/jobs", None)
                .await?;
            for job in body["jobs"].as_array().into_iter().flatten() {
                println!("{job}");
            }
        }
        AudienceAction::Create { file, no_wait } => {
            for definition in read_definitions(&file)? {
                let body = client
                    .call(Method::POST, "/api/v1/audiences", Some(definition))
                    .await?;
                report_change(client, "created", &body, no_wait).await?;
            }
        }
        AudienceAction::Replace { file, no_wait } => {
            for definition in read_definitions(&file)? {
                let Some(id) = definition["id"].as_u64() else {
                    bail!(
                        "{}: id: missing (replace needs the audience id)",
                        file.display()
                    );
                };
                let body = client
                    .call(
                        Method::PUT,
                        &format!("/api/v1/audiences/{id}"),
                        Some(definition),
                    )
                    .await?;
                report_change(client, "replaced", &body, no_wait).await?;
            }
        }
        AudienceAction::Delete {
            id,
            cleanup,
            no_wait,
        } => {
            let body = client
                .call(
                    Method::DELETE,
                    &format!("/api/v1/audiences/{id}?cleanup={cleanup}"),
                    None,
                )
                .await?;
            report_change(client, "deleted", &body, no_wait).await?;
        }
        AudienceAction::Deactivate {
            id,
            cleanup,
            no_wait,
        } => {
            let body = client
                .call(
                    Method::POST,
                    &format!("/api/v1/audiences/{id}/deactivate?cleanup={cleanup}"),
                    None,
                )
                .await?;
            report_change(client, "deactivated", &body, no_wait).await?;
        }
        AudienceAction::Check { file } => {
            let definitions = match &file {
                Some(f) => read_definitions(f)?,
                None => Vec::new(),
            };
            let body = client
                .call(
                    Method::POST,
                    "/api/v1/audiences/check",
                    Some(json!({"definitions": definitions})),
                )
                .await?;
            print_check(&body);
        }
    }
    Ok(())
}

async fn report_change(
    client: &AdminClient,
    what: &str,
    body: &Value,
    no_wait: bool,
) -> anyhow::Result<()> {
    let name = body["audience"]["name"].as_str().unwrap_or("");
    let id = &body["audience"]["id"];
    println!("audience {id} {name:?} {what}");
    let Some(job) = body["job"]["id"].as_u64() else {
        return Ok(());
    };
    let kind = body["job"]["kind"].as_str().unwrap_or("job");
    if no_wait {
        println!("{kind} job {job} queued; follow it with `braid audiences jobs`");
        return Ok(());
    }
    follow_job(
        client,
        &format!("/api/v1/audiences/jobs/{job}"),
        &format!("{kind} job {job}"),
    )
    .await
}

/// Poll a job at `path` and draw its progress until it is done.
pub(crate) async fn follow_job(
    client: &AdminClient,
    path: &str,
    label: &str,
) -> anyhow::Result<()> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:40}] {pos}/{len} profiles ({per_sec}, eta {eta})",
        )
        .context("progress bar template")?
        .progress_chars("=> "),
    );
    bar.set_message(label.to_string());
    loop {
        let state = client.call(reqwest::Method::GET, path, None).await?;
        bar.set_length(
            state["total"]
                .as_u64()
                .unwrap_or(0)
                .max(state["processed"].as_u64().unwrap_or(0)),
        );
        bar.set_position(state["processed"].as_u64().unwrap_or(0));
        if state["done"].as_bool() == Some(true) {
            bar.finish_and_clear();
            // Printed as well as drawn: the bar is invisible when output is not a terminal.
            println!(
                "{label} done: {} of {} profiles changed",
                state["changed"], state["processed"]
            );
            if let Some(limit) = state["history_limit"].as_str() {
                println!("note: {limit}");
            }
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn print_check(body: &Value) {
    let users = body["users"].as_u64().unwrap_or(0);
    let limits = &body["limits"];
    println!(
        "checked {users} profiles against Braze's limits ({} characters for SegmentMembership, {} items for SegmentMembershipArray)",
        limits["max_string_chars"], limits["max_array_len"]
    );
    let mut any = false;
    for form in body["forms"].as_array().into_iter().flatten() {
        let n = form["users_overflowing"].as_u64().unwrap_or(0);
        let configured = if form["configured"].as_bool() == Some(true) {
            " (configured)"
        } else {
            ""
        };
        let label = form["label"].as_str().unwrap_or("");
        if n > 0 {
            any = true;
            println!("warning: {label}{configured}: {n} users would overflow; their oldest memberships would be left out");
        } else {
            println!("ok: {label}{configured}: no user overflows");
        }
    }
    for (form, key) in [
        ("SegmentMembership", "string_dropped_by_audience"),
        ("SegmentMembershipArray", "array_dropped_by_audience"),
    ] {
        if let Some(map) = body[key].as_object() {
            for (audience, n) in map {
                println!("  audience {audience} would be left out of {form} for {n} users");
            }
        }
    }
    if !any {
        println!("no form overflows");
    }
}
