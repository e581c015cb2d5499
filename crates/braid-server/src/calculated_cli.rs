//! `braid calculated-attributes ...`: manage the calculated attributes of a running
//! braid through its admin API, with a progress bar while a backfill walks the profiles.

use crate::audiences_cli::{follow_job, read_definitions, AdminClient};
use clap::Subcommand;
use serde_json::Value;
use std::path::PathBuf;

/// What `braid calculated-attributes` does.
#[derive(Debug, Subcommand)]
pub enum CalculatedAction {
    /// Print the calculated attributes and any pending backfill.
    List,
    /// Create calculated attributes from a JSON file (one definition or a list), then
    /// follow each backfill with a progress bar.
    Create {
        #[arg(long)]
        file: PathBuf,
        /// Return once the definition is stored, without waiting for its backfill.
        #[arg(long)]
        no_wait: bool,
    },
    /// Replace calculated attributes with the definitions in a JSON file (same names),
    /// then follow the backfills.
    Replace {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        no_wait: bool,
    },
    /// Delete a calculated attribute: it is no longer computed or sent; Braze keeps the
    /// last value it got.
    Delete { name: String },
    /// Print every backfill job with its progress.
    Jobs,
}

/// Run one `braid calculated-attributes` action.
pub async fn run(client: &AdminClient, action: CalculatedAction) -> anyhow::Result<()> {
    use reqwest::Method;
    const BASE: &str = "/api/v1/calculated-attributes";
    match action {
        CalculatedAction::List => {
            let body = client.call(Method::GET, BASE, None).await?;
            println!("{}", serde_json::to_string_pretty(&body)?);
        }
        CalculatedAction::Jobs => {
            let body = client
                .call(Method::GET, &format!("{BASE}/jobs"), None)
                .await?;
            for job in body["jobs"].as_array().into_iter().flatten() {
                println!("{job}");
            }
        }
        CalculatedAction::Create { file, no_wait } => {
            for definition in read_definitions(&file)? {
                let body = client.call(Method::POST, BASE, Some(definition)).await?;
                report_change(client, "created", &body, no_wait).await?;
            }
        }
        CalculatedAction::Replace { file, no_wait } => {
            for definition in read_definitions(&file)? {
                let Some(name) = definition["name"].as_str().map(str::to_string) else {
                    anyhow::bail!(
                        "{}: name: missing (replace needs the calculated attribute's name)",
                        file.display()
                    );
                };
                let path = format!("{BASE}/{}", path_segment(&name));
                let body = client.call(Method::PUT, &path, Some(definition)).await?;
                report_change(client, "replaced", &body, no_wait).await?;
            }
        }
        CalculatedAction::Delete { name } => {
            let path = format!("{BASE}/{}", path_segment(&name));
            client.call(Method::DELETE, &path, None).await?;
            println!("calculated attribute {name:?} deleted");
        }
    }
    Ok(())
}

/// A name as one URL path segment.
fn path_segment(name: &str) -> String {
    let mut url = reqwest::Url::parse("http://x/").expect("static url");
    url.path_segments_mut().expect("base url").push(name);
    url.path().trim_start_matches('/').to_string()
}

async fn report_change(
    client: &AdminClient,
    what: &str,
    body: &Value,
    no_wait: bool,
) -> anyhow::Result<()> {
    let name = body["calculated_attribute"]["name"].as_str().unwrap_or("");
    println!("calculated attribute {name:?} {what}");
    let Some(job) = body["job"]["id"].as_u64() else {
        return Ok(());
    };
    if let Some(limit) = body["job"]["history_limit"].as_str() {
        println!("note: {limit}");
    }
    if no_wait {
        println!("backfill job {job} queued; follow it with `braid calculated-attributes jobs`");
        return Ok(());
    }
    follow_job(
        client,
        &format!("/api/v1/calculated-attributes/jobs/{job}"),
        &format!("backfill job {job}"),
    )
    .await
}
