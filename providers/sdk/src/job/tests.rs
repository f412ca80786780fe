use std::sync::Mutex;

use super::*;

/// A service whose job moves through `states` one poll at a time and ends as the last one.
struct Scripted {
    states: Mutex<Vec<(&'static str, Outcome)>>,
    submitted: Mutex<u32>,
    killed: Mutex<u32>,
}

impl Scripted {
    fn new(states: &[(&'static str, Outcome)]) -> Scripted {
        Scripted { states: Mutex::new(states.to_vec()), submitted: Mutex::new(0), killed: Mutex::new(0) }
    }
}

#[async_trait::async_trait]
impl JobApi for Scripted {
    async fn submit(&self) -> Result<String, Diagnostics> {
        *self.submitted.lock().unwrap() += 1;
        Ok("job-1".into())
    }
    async fn status(&self, id: &str) -> Result<Option<JobStatus>, Diagnostics> {
        let mut states = self.states.lock().unwrap();
        let (state, outcome) = if states.len() > 1 { states.remove(0) } else { *states.first().unwrap() };
        Ok(Some(JobStatus {
            id: id.into(),
            state: state.into(),
            result: None,
            outcome,
            message: format!("log of {state}"),
        }))
    }
    async fn kill(&self, _id: &str) -> Result<(), Diagnostics> {
        *self.killed.lock().unwrap() += 1;
        *self.states.lock().unwrap() = vec![("KILLED", Outcome::Failed)];
        Ok(())
    }
}

fn quick() -> Wait {
    Wait {
        timeout: Duration::from_secs(5),
        min_interval: Duration::from_millis(1),
        max_interval: Duration::from_millis(2),
    }
}

#[tokio::test]
async fn a_run_is_submitted_once_and_every_pending_state_is_reported_as_waiting() {
    let api = Scripted::new(&[
        ("ACCEPTED", Outcome::Pending),
        ("RUNNING", Outcome::Pending),
        ("FINISHED", Outcome::Succeeded),
    ]);
    let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let progress = Progress::new(move |s| sink.lock().unwrap().push(s.to_string()));
    let status = run(&api, "job wc", &progress, &quick()).await.unwrap();
    assert_eq!(status.state, "FINISHED");
    assert_eq!(*api.submitted.lock().unwrap(), 1);
    assert_eq!(*seen.lock().unwrap(), vec!["job wc: submitted as job-1", "job wc: ACCEPTED", "job wc: RUNNING"]);
    assert!(outcome_error("job wc", &status).is_none());
}

#[tokio::test]
async fn a_failed_run_is_an_error_naming_its_state_and_the_services_message() {
    let api = Scripted::new(&[("RUNNING", Outcome::Pending), ("FAILED", Outcome::Failed)]);
    let status = run(&api, "job wc", &Progress::default(), &quick()).await.unwrap();
    let error = outcome_error("job wc", &status).unwrap();
    assert!(error.summary.contains("job job-1 ended FAILED without success"), "{}", error.summary);
    assert_eq!(error.detail.as_deref(), Some("log of FAILED"));
}

#[tokio::test]
async fn a_wait_that_never_ends_gives_up_naming_the_last_state() {
    let api = Scripted::new(&[("RUNNING", Outcome::Pending)]);
    let how = Wait { timeout: Duration::from_millis(20), ..quick() };
    let (id, diagnostics) = run(&api, "job wc", &Progress::default(), &how).await.unwrap_err();
    assert_eq!(id.as_deref(), Some("job-1"), "the submitted run is known, so state can keep it");
    let text = format!("{diagnostics:?}");
    assert!(text.contains("last state: RUNNING"), "{text}");
}

#[tokio::test]
async fn stop_kills_a_running_job_and_leaves_a_finished_one_alone() {
    let api = Scripted::new(&[("RUNNING", Outcome::Pending)]);
    let status = stop(&api, "job-1", "job wc", &Progress::default(), &quick()).await.unwrap().unwrap();
    assert_eq!((status.state.as_str(), *api.killed.lock().unwrap()), ("KILLED", 1));
    let done = Scripted::new(&[("FINISHED", Outcome::Succeeded)]);
    stop(&done, "job-1", "job wc", &Progress::default(), &quick()).await.unwrap();
    assert_eq!(*done.killed.lock().unwrap(), 0);
}

#[test]
fn a_finished_run_the_service_forgot_is_kept_and_a_running_one_is_gone() {
    let prior = JobStatus {
        id: "job-1".into(),
        state: "FINISHED".into(),
        result: Some("SUCCEEDED".into()),
        outcome: Outcome::Succeeded,
        message: String::new(),
    };
    assert_eq!(refreshed(Outcome::Succeeded, None, prior.clone()), Some(prior.clone()));
    assert_eq!(refreshed(Outcome::Pending, None, prior.clone()), None);
    assert_eq!(prior.describe(), "FINISHED (SUCCEEDED)");
}

#[test]
fn replacing_a_run_warns_at_each_changed_attribute() {
    let warnings = plan_warnings("mrs_job wc", Some("SUCCEEDED"), &[Path::attr("args")]);
    let text = format!("{warnings:?}");
    assert!(text.contains("already ran (it ended SUCCEEDED): changing `args` submits a new run"), "{text}");
    assert!(!warnings.has_errors());
    assert!(plan_warnings("x", None, &[]).is_empty());
    assert_eq!(outcome_of(Some(&Value::string("SUCCEEDED")), "SUCCEEDED", &["UNDEFINED"]), Outcome::Succeeded);
    assert_eq!(outcome_of(Some(&Value::string("UNDEFINED")), "SUCCEEDED", &["UNDEFINED"]), Outcome::Pending);
    assert_eq!(outcome_of(Some(&Value::string("KILLED")), "SUCCEEDED", &["UNDEFINED"]), Outcome::Failed);
}
