//! `osteosim serve [--port N] [--host H]`: a local web page to build scenarios, run them, compare
//! up to eight runs and run small trials.
//!
//! The page is one HTML document with its scripts inlined (the report's plotting script and
//! uPlot); it talks to a small JSON API:
//!
//! - `GET /api/catalogue`: the scenario form's choices (species, sexes, estrogen profiles with
//!   their setting, genotypes, drugs with routes and usual regimens) and the server's limits;
//! - `POST /api/run` (a scenario file's text): the run's plots as report data, or the scenario
//!   errors, each with the key of the field that caused it; `GET /api/runs/ID/FILE` downloads
//!   `timeseries.csv`, `summary.json`, `report.html` or `scenario.toml`;
//! - `POST /api/trial` (a trial file's text): a trial job; `GET /api/trials/ID` its progress,
//!   then its report data; `GET /api/trials/ID/FILE` its outputs.
//!
//! Simulations run on worker threads behind bounded queues, never on the request threads: a
//! full queue is refused at once (503), a run that takes too long is answered with 504. Request
//! bodies, simulated durations, population sizes and the number of kept results are limited
//! (see [`Limits`]). The server reads and writes no path a request names: results are kept in
//! memory, trials write into directories the server creates under the system's temporary
//! directory and removes again.

mod jobs;

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use osteosim_model::builtin;
use osteosim_model::catalogue::{Catalogue, UsualDose};
use osteosim_model::scenario::{Scenario, ScenarioError};
use serde_json::{json, Value};

use crate::failure::{note, Failure};
use crate::pages;
use jobs::{Queue, Submit};

/// What one server accepts.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of a request body.
    pub body_bytes: usize,
    /// Simulated days of one run.
    pub run_days: f64,
    /// Output rows of one run.
    pub run_rows: f64,
    /// Wall time a request waits for its run.
    pub run_seconds: u64,
    /// Subjects of a trial.
    pub trial_subjects: u64,
    /// Arms of a trial.
    pub trial_arms: usize,
    /// Simulated days of a trial.
    pub trial_days: f64,
    /// Runs waiting for a worker.
    pub run_queue: usize,
    /// Threads that run simulations.
    pub run_workers: usize,
    /// Trials waiting or running.
    pub trial_queue: usize,
    /// Runs kept for downloads and overlays.
    pub kept_runs: usize,
    /// Trials kept for downloads.
    pub kept_trials: usize,
}

pub const LIMITS: Limits = Limits {
    body_bytes: 64 * 1024,
    run_days: 100.0 * 365.25,
    run_rows: 20_000.0,
    run_seconds: 60,
    trial_subjects: 2_000,
    trial_arms: 4,
    trial_days: 10.0 * 365.25,
    run_queue: 256,
    run_workers: 2,
    trial_queue: 2,
    kept_runs: 32,
    kept_trials: 4,
};

/// One finished run, kept for its downloads.
struct RunResult {
    id: u64,
    csv: Vec<u8>,
    summary: Vec<u8>,
    html: String,
    scenario: String,
}

/// A trial job and what it has produced so far.
pub(crate) struct TrialJob {
    id: u64,
    dir: PathBuf,
    subjects: u64,
    chunks: u64,
    state: Mutex<TrialState>,
}

#[derive(Clone)]
enum TrialState {
    Queued,
    Running,
    Done(Arc<Value>),
    Failed(String),
}

struct AppState {
    catalogue: Value,
    page: String,
    runs: Mutex<VecDeque<Arc<RunResult>>>,
    trials: Mutex<VecDeque<Arc<TrialJob>>>,
    run_queue: Queue,
    trial_queue: Queue,
    next_id: AtomicU64,
    work: PathBuf,
}

type Shared = Arc<AppState>;

/// Serve until interrupted.
pub fn serve(host: &str, port: u16) -> Result<(), Failure> {
    let ip: IpAddr = host.parse().map_err(|_| {
        Failure::bad_input(format!(
            "--host `{host}` is not an IP address (127.0.0.1 serves this machine only)"
        ))
    })?;
    if !ip.is_loopback() {
        note(&format!(
            "warning: serving on {ip}, reachable from other machines, without authentication: \
             anyone who reaches this address can run simulations"
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::run_failed(format!("cannot start the server: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, port))
            .await
            .map_err(|e| Failure::bad_input(format!("cannot listen on {ip}:{port}: {e}")))?;
        let address = listener
            .local_addr()
            .map_err(|e| Failure::run_failed(format!("cannot read the address: {e}")))?;
        let state = new_state()?;
        let work = state.work.clone();
        // The first line on stdout says where to go (tests read it).
        println!("osteosim serve: listening on http://{address}/ (Ctrl-C stops)");
        // Tests and scripts read that line through a pipe: hand it over now.
        let _ = std::io::Write::flush(&mut std::io::stdout());
        let served = axum::serve(listener, router(state))
            .with_graceful_shutdown(stopped())
            .await;
        let _ = std::fs::remove_dir_all(&work);
        served.map_err(|e| Failure::run_failed(format!("the server stopped: {e}")))
    })
}

/// Ctrl-C, or SIGTERM where there is one: the server then stops and removes its directory.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn new_state() -> Result<Shared, Failure> {
    let work = std::env::temp_dir().join(format!("osteosim-serve-{}", std::process::id()));
    std::fs::create_dir_all(&work)
        .map_err(|e| Failure::run_failed(format!("cannot create {}: {e}", work.display())))?;
    Ok(Arc::new(AppState {
        catalogue: catalogue_json(osteosim_model::catalogue::Catalogue::builtin()),
        page: page(),
        runs: Mutex::new(VecDeque::new()),
        trials: Mutex::new(VecDeque::new()),
        run_queue: Queue::new("run", LIMITS.run_workers, LIMITS.run_queue),
        trial_queue: Queue::new("trial", 1, LIMITS.trial_queue),
        next_id: AtomicU64::new(1),
        work,
    }))
}

fn router(state: Shared) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/api/catalogue", get(catalogue))
        .route("/api/run", post(run))
        .route("/api/runs/{id}/{file}", get(run_file))
        .route("/api/trial", post(trial))
        .route("/api/trials/{id}", get(trial_status))
        .route("/api/trials/{id}/{file}", get(trial_file))
        .layer(DefaultBodyLimit::max(LIMITS.body_bytes))
        .with_state(state)
}

/// The page: HTML, styles and scripts in one document.
fn page() -> String {
    include_str!("page.html")
        .replace("@@UPLOT_CSS@@", osteosim_report::UPLOT_CSS)
        .replace("@@REPORT_CSS@@", osteosim_report::REPORT_CSS)
        .replace("@@UPLOT_JS@@", osteosim_report::UPLOT_JS)
        .replace("@@PLOTS_JS@@", osteosim_report::PLOTS_JS)
        .replace("@@APP_JS@@", include_str!("app.js"))
}

async fn index(State(s): State<Shared>) -> Html<String> {
    Html(s.page.clone())
}

/// The form's choices and the limits, from the model's catalogue.
fn catalogue_json(c: &Catalogue) -> Value {
    let drugs: Vec<Value> = c
        .drugs
        .iter()
        .map(|d| {
            json!({
                "id": d.id,
                "description": d.description,
                "intensity": d.is_intensity(),
                "max_intensity": d.max_intensity,
                "species": d.species.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                "routes": d.routes.iter().map(|r| {
                    let (mg, mg_per_kg) = match r.usual_dose {
                        UsualDose::HumanMg(x) => (Some(x), r.mouse_mg_per_kg),
                        UsualDose::MouseMgPerKg(x) => (None, Some(x)),
                    };
                    json!({
                        "route": r.route.as_str(),
                        "usual_dose_mg": mg,
                        "usual_dose_mg_per_kg": mg_per_kg,
                        "usual_every_days": r.usual_every_days,
                        "min_every_days": r.min_every_days,
                    })
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    let profiles: Vec<Value> = c
        .profiles
        .iter()
        .map(|p| {
            json!({
                "id": p.id,
                "description": p.description,
                "sexes": p.sexes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                "setting": p.setting.as_ref().map(|s| json!({
                    "key": s.key,
                    "description": s.description,
                    "defaults": s.defaults.iter().map(|(sp, v)| json!({"species": sp.as_str(), "value": v})).collect::<Vec<_>>(),
                })),
            })
        })
        .collect();
    json!({
        "species": ["human", "mouse"],
        "sexes": ["female", "male"],
        "profiles": profiles,
        "genotypes": c.genotypes.iter().map(|g| json!({"id": g.id, "description": g.description})).collect::<Vec<_>>(),
        "drugs": drugs,
        "limits": {
            "body_bytes": LIMITS.body_bytes,
            "run_days": LIMITS.run_days,
            "run_seconds": LIMITS.run_seconds,
            "trial_subjects": LIMITS.trial_subjects,
            "trial_arms": LIMITS.trial_arms,
            "trial_days": LIMITS.trial_days,
            "overlay_runs": 8,
        },
    })
}

async fn catalogue(State(s): State<Shared>) -> Json<Value> {
    Json(s.catalogue.clone())
}

/// An error answer: `{"error": message, "errors": [{key, line, message}]}`.
fn error(status: StatusCode, message: &str, errors: Vec<Value>) -> Response {
    (status, Json(json!({ "error": message, "errors": errors }))).into_response()
}

fn scenario_errors(e: &ScenarioError) -> Response {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        &e.to_string(),
        vec![json!({ "key": e.key, "line": e.line, "message": e.message })],
    )
}

/// The scenario of a request, checked against the model and the server's limits.
fn checked_scenario(text: &str) -> Result<Scenario, Box<Response>> {
    let scenario = Scenario::parse(text, "scenario", Catalogue::builtin())
        .map_err(|e| Box::new(scenario_errors(&e)))?;
    let known: Vec<&str> = builtin::model().parameter_names().collect();
    scenario
        .check_parameter_names(&known, "scenario")
        .map_err(|e| Box::new(scenario_errors(&e)))?;
    let sim = &scenario.simulation;
    let limit = |key: &str, message: String| {
        Box::new(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &message,
            vec![json!({ "key": key, "line": null, "message": message })],
        ))
    };
    if sim.duration_days > LIMITS.run_days {
        return Err(limit(
            "simulation.duration_days",
            format!(
                "at most {} days ({} years) on this server",
                LIMITS.run_days,
                LIMITS.run_days / 365.25
            ),
        ));
    }
    if sim.duration_days / sim.output_every_days > LIMITS.run_rows {
        return Err(limit(
            "simulation.output_every_days",
            format!(
                "at most {} output times per run on this server: choose a longer interval",
                LIMITS.run_rows
            ),
        ));
    }
    Ok(scenario)
}

fn body_text(body: &axum::body::Bytes) -> Result<&str, Box<Response>> {
    std::str::from_utf8(body).map_err(|_| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            "the request body is not UTF-8 text",
            vec![],
        ))
    })
}

async fn run(State(s): State<Shared>, body: axum::body::Bytes) -> Response {
    let text = match body_text(&body) {
        Ok(t) => t.to_string(),
        Err(r) => return *r,
    };
    let scenario = match checked_scenario(&text) {
        Ok(sc) => sc,
        Err(r) => return *r,
    };
    let id = s.next_id.fetch_add(1, Ordering::Relaxed);
    let label = format!("run {id}");
    let job = move || simulate(id, &label, &scenario);
    let answer = match s.run_queue.submit(job) {
        Submit::Queued(rx) => rx,
        Submit::Full => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!(
                    "the server is busy: {} runs are waiting; try again in a moment",
                    LIMITS.run_queue
                ),
                vec![],
            )
        }
    };
    match tokio::time::timeout(Duration::from_secs(LIMITS.run_seconds), answer).await {
        Err(_) => error(
            StatusCode::GATEWAY_TIMEOUT,
            &format!(
                "the run took longer than {} s, the limit of this server",
                LIMITS.run_seconds
            ),
            vec![],
        ),
        Ok(Err(_)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the run was lost",
            vec![],
        ),
        Ok(Ok(Err(message))) => error(StatusCode::UNPROCESSABLE_ENTITY, &message, vec![]),
        Ok(Ok(Ok((result, data)))) => {
            let mut runs = s.runs.lock().unwrap_or_else(|p| p.into_inner());
            runs.push_back(Arc::new(result));
            while runs.len() > LIMITS.kept_runs {
                runs.pop_front();
            }
            Json(json!({
                "id": id,
                "data": data,
                "downloads": {
                    "csv": format!("/api/runs/{id}/timeseries.csv"),
                    "summary": format!("/api/runs/{id}/summary.json"),
                    "report": format!("/api/runs/{id}/report.html"),
                    "scenario": format!("/api/runs/{id}/scenario.toml"),
                },
            }))
            .into_response()
        }
    }
}

/// One run on a worker thread: the outputs `osteosim run` would write, and the report data.
fn simulate(id: u64, label: &str, scenario: &Scenario) -> Result<(RunResult, Value), String> {
    let model = builtin::model();
    let output = osteosim_model::run(model, builtin::kernel(), scenario, label)
        .map_err(|e| format!("the simulation failed: {e}"))?;
    let report = pages::run::build(model, scenario, label, &output.table, &output.summary);
    let data = report.data().map_err(|e| e.to_string())?;
    let html = report.render().map_err(|e| e.to_string())?;
    let mut summary = serde_json::to_vec_pretty(&output.summary).map_err(|e| e.to_string())?;
    summary.push(b'\n');
    Ok((
        RunResult {
            id,
            csv: output.table.to_csv(),
            summary,
            html,
            scenario: scenario.to_toml_string(),
        },
        data,
    ))
}

fn download(name: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        )
        .body(Body::from(bytes))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn not_found(what: &str) -> Response {
    error(StatusCode::NOT_FOUND, what, vec![])
}

async fn run_file(
    State(s): State<Shared>,
    UrlPath((id, file)): UrlPath<(u64, String)>,
) -> Response {
    let run = {
        let runs = s.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.iter().find(|r| r.id == id).cloned()
    };
    let Some(run) = run else {
        return not_found(&format!(
            "no run {id} on this server (it keeps the last {} runs)",
            LIMITS.kept_runs
        ));
    };
    match file.as_str() {
        "timeseries.csv" => download(&file, "text/csv; charset=utf-8", run.csv.clone()),
        "summary.json" => download(&file, "application/json", run.summary.clone()),
        "report.html" => download(
            &file,
            "text/html; charset=utf-8",
            run.html.clone().into_bytes(),
        ),
        "scenario.toml" => download(&file, "application/toml", run.scenario.clone().into_bytes()),
        _ => not_found("a run has timeseries.csv, summary.json, report.html and scenario.toml"),
    }
}

/// The trial file's size, arms and duration against the limits, before anything runs.
fn trial_limits(text: &str) -> Result<u64, Box<Response>> {
    let value: toml::Table = toml::from_str(text).map_err(|e| {
        Box::new(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("trial: invalid TOML: {}", e.message()),
            vec![json!({"key": "", "line": null, "message": e.message()})],
        ))
    })?;
    let refuse = |key: &str, message: String| {
        Box::new(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("trial: `{key}`: {message}"),
            vec![json!({ "key": key, "line": null, "message": message })],
        ))
    };
    let size = value
        .get("population")
        .and_then(|p| p.get("size"))
        .and_then(toml::Value::as_integer)
        .unwrap_or(0);
    if size < 1 || size as u64 > LIMITS.trial_subjects {
        return Err(refuse(
            "population.size",
            format!(
                "this server runs trials of 1 to {} subjects; run larger ones with `osteosim trial`",
                LIMITS.trial_subjects
            ),
        ));
    }
    let arms = value
        .get("arm")
        .and_then(toml::Value::as_array)
        .map_or(0, Vec::len);
    if arms > LIMITS.trial_arms {
        return Err(refuse(
            "arm",
            format!("at most {} arms on this server", LIMITS.trial_arms),
        ));
    }
    let days = value
        .get("simulation")
        .and_then(|s| s.get("duration_days"))
        .and_then(|d| d.as_float().or_else(|| d.as_integer().map(|i| i as f64)))
        .unwrap_or(0.0);
    if days > LIMITS.trial_days {
        return Err(refuse(
            "simulation.duration_days",
            format!(
                "at most {} days ({} years) on this server",
                LIMITS.trial_days,
                LIMITS.trial_days / 365.25
            ),
        ));
    }
    Ok(size as u64)
}

async fn trial(State(s): State<Shared>, body: axum::body::Bytes) -> Response {
    let text = match body_text(&body) {
        Ok(t) => t.to_string(),
        Err(r) => return *r,
    };
    let subjects = match trial_limits(&text) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    let id = s.next_id.fetch_add(1, Ordering::Relaxed);
    let job = Arc::new(TrialJob {
        id,
        dir: s.work.join(format!("trial-{id}")),
        subjects,
        chunks: subjects.div_ceil(osteosim_model::virtual_trial::chunk_size(subjects)),
        state: Mutex::new(TrialState::Queued),
    });
    let worker_job = job.clone();
    let submitted = s
        .trial_queue
        .submit(move || jobs::run_trial(&worker_job, &text));
    if let Submit::Full = submitted {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!(
                "the server is busy: {} trials are waiting or running; try again later",
                LIMITS.trial_queue
            ),
            vec![],
        );
    }
    let mut trials = s.trials.lock().unwrap_or_else(|p| p.into_inner());
    trials.push_back(job);
    while trials.len() > LIMITS.kept_trials {
        if let Some(old) = trials.pop_front() {
            let finished = matches!(
                *old.state.lock().unwrap_or_else(|p| p.into_inner()),
                TrialState::Done(_) | TrialState::Failed(_)
            );
            if finished {
                let _ = std::fs::remove_dir_all(&old.dir);
            } else {
                // Still queued or running: keep it, it is removed when a later one finishes.
                trials.push_front(old);
                break;
            }
        }
    }
    (
        StatusCode::ACCEPTED,
        Json(json!({ "id": id, "status": format!("/api/trials/{id}") })),
    )
        .into_response()
}

fn find_trial(s: &AppState, id: u64) -> Option<Arc<TrialJob>> {
    let trials = s.trials.lock().unwrap_or_else(|p| p.into_inner());
    trials.iter().find(|t| t.id == id).cloned()
}

async fn trial_status(State(s): State<Shared>, UrlPath(id): UrlPath<u64>) -> Response {
    let Some(job) = find_trial(&s, id) else {
        return not_found(&format!("no trial {id} on this server"));
    };
    let state = job.state.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let (name, extra) = match state {
        TrialState::Queued => ("queued", json!(null)),
        TrialState::Running => ("running", json!(null)),
        TrialState::Failed(e) => ("failed", json!(e)),
        TrialState::Done(data) => ("done", (*data).clone()),
    };
    let done = match name {
        "done" => job.chunks,
        "running" => jobs::committed_chunks(&job.dir).min(job.chunks),
        _ => 0,
    };
    Json(json!({
        "id": id,
        "state": name,
        "subjects": job.subjects,
        "chunks": job.chunks,
        "done_chunks": done,
        "error": if name == "failed" { extra.clone() } else { json!(null) },
        "data": if name == "done" { extra } else { json!(null) },
        "downloads": if name == "done" { json!({
            "report": format!("/api/trials/{id}/report.html"),
            "arms": format!("/api/trials/{id}/arms.csv"),
            "events": format!("/api/trials/{id}/events.csv"),
            "summary": format!("/api/trials/{id}/summary.json"),
            "subjects": format!("/api/trials/{id}/subjects.parquet"),
        }) } else { json!(null) },
    }))
    .into_response()
}

async fn trial_file(
    State(s): State<Shared>,
    UrlPath((id, file)): UrlPath<(u64, String)>,
) -> Response {
    let Some(job) = find_trial(&s, id) else {
        return not_found(&format!("no trial {id} on this server"));
    };
    let done = matches!(
        *job.state.lock().unwrap_or_else(|p| p.into_inner()),
        TrialState::Done(_)
    );
    if !done {
        return not_found(&format!("trial {id} has not finished"));
    }
    // Only the fixed names of the trial's outputs, in the directory the server made for it.
    let content_type = match file.as_str() {
        "report.html" => "text/html; charset=utf-8",
        "arms.csv" | "events.csv" | "population.csv" => "text/csv; charset=utf-8",
        "summary.json" => "application/json",
        "subjects.parquet" => "application/vnd.apache.parquet",
        _ => {
            return not_found(
                "a trial has report.html, arms.csv, events.csv, population.csv, summary.json and subjects.parquet",
            )
        }
    };
    match std::fs::read(job.dir.join(&file)) {
        Ok(bytes) => download(&file, content_type, bytes),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("cannot read the trial's {file}: {e}"),
            vec![],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trial_files_beyond_the_limits_are_refused_before_running() {
        let ok = "[population]\nsize = 100\n[[arm]]\nname = \"a\"\n[simulation]\nduration_days = 365.0\n";
        assert_eq!(trial_limits(ok).ok(), Some(100));
        assert!(trial_limits(&ok.replace("size = 100", "size = 2001")).is_err());
        assert!(trial_limits(&ok.replace("365.0", "4000.0")).is_err());
        assert!(trial_limits("not toml [").is_err());
    }

    #[test]
    fn the_page_inlines_every_script() {
        let p = page();
        assert!(!p.contains("@@"), "every placeholder filled");
        assert!(p.contains("uPlot"));
        assert!(p.contains("OsteosimPlots"));
        assert!(!p.contains(" src=\""));
    }

    #[test]
    fn the_catalogue_lists_every_drug_with_its_routes() {
        let c = catalogue_json(Catalogue::builtin());
        let drugs = c["drugs"].as_array().unwrap();
        let dmab = drugs.iter().find(|d| d["id"] == "denosumab").unwrap();
        assert_eq!(dmab["routes"][0]["route"], "subcutaneous");
        assert_eq!(dmab["routes"][0]["usual_dose_mg"].as_f64(), Some(60.0));
        assert!(drugs.iter().any(|d| d["intensity"] == true));
        assert_eq!(c["limits"]["trial_subjects"].as_u64(), Some(2000));
    }
}
