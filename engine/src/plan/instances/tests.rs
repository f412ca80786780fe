use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::config::IgnoreChanges;
use crate::plan::ActionReason;
use crate::provider::{
    ApplyRequest, ApplyResponse, ConfigureRequest, ConfigureResponse, FindCreatedRequest, FindCreatedResponse,
    PlanRequest, PlanResponse, ReadDataRequest, ReadDataResponse, ReadRequest, ReadResponse,
};
use crate::schema::{AttributeSchema, BlockSchema, ProviderSchema};
use crate::state::InstanceStatus;

#[test]
fn small_levels_fill_the_chunks_in_flight_and_large_ones_use_full_chunks() {
    assert_eq!(chunk_size(0), 1);
    assert_eq!(chunk_size(3), 1);
    assert_eq!(chunk_size(100), 25);
    assert_eq!(chunk_size(CHUNK * CHUNKS_IN_FLIGHT), CHUNK);
    assert_eq!(chunk_size(10_000), CHUNK);
}

#[test]
fn the_chunks_in_flight_share_the_read_limit_exactly() {
    for parallelism in CHUNKS_IN_FLIGHT..40 {
        for first in 0..8 {
            let window: usize = (first..first + CHUNKS_IN_FLIGHT).map(|i| read_share(parallelism, i)).sum();
            assert_eq!(window, parallelism, "chunks {first}.. with parallelism {parallelism}");
        }
    }
    // Below one read per chunk, each chunk reads one at a time (the semaphore holds the
    // total to the limit: chunks wait for each other).
    for parallelism in 0..CHUNKS_IN_FLIGHT {
        assert!((0..8).all(|i| read_share(parallelism, i) == 1));
    }
}

/// Plans like a provider whose `name` forces replacement and whose `id` is known once the
/// object exists; counts single and batch plan calls.
struct Counting {
    schema: Arc<ProviderSchema>,
    single: AtomicUsize,
    batches: AtomicUsize,
}

impl Counting {
    fn new() -> Arc<Counting> {
        let block = BlockSchema::new()
            .attr("name", AttributeSchema::required(Type::String).forces_replacement())
            .attr("id", AttributeSchema::computed(Type::String));
        let mut schema = ProviderSchema::default();
        schema.resources.insert("t_thing".into(), ResourceSchema { version: 0, block });
        Arc::new(Counting { schema: Arc::new(schema), single: AtomicUsize::new(0), batches: AtomicUsize::new(0) })
    }

    fn answer(request: PlanRequest) -> PlanResponse {
        let id = match &request.prior_state {
            Some(prior) => prior.get_attr("id").cloned().unwrap_or(Value::Unknown(Type::String)),
            None => Value::Unknown(Type::String),
        };
        let mut planned = request.proposed_new_state;
        if let Value::Object(attrs) = &mut planned {
            attrs.insert("id".into(), id);
        }
        PlanResponse { planned_state: Some(planned), ..PlanResponse::default() }
    }
}

#[async_trait::async_trait]
impl Provider for Counting {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }
    async fn configure(&self, _: ConfigureRequest) -> ConfigureResponse {
        ConfigureResponse::default()
    }
    async fn plan(&self, request: PlanRequest) -> PlanResponse {
        self.single.fetch_add(1, Ordering::SeqCst);
        Counting::answer(request)
    }
    async fn plan_batch(&self, requests: Vec<PlanRequest>) -> Vec<PlanResponse> {
        self.batches.fetch_add(1, Ordering::SeqCst);
        requests.into_iter().map(Counting::answer).collect()
    }
    async fn apply(&self, _: ApplyRequest) -> ApplyResponse {
        ApplyResponse::default()
    }
    async fn read(&self, request: ReadRequest) -> ReadResponse {
        ReadResponse { new_state: Some(request.current_state), ..ReadResponse::default() }
    }
    async fn read_data(&self, _: ReadDataRequest) -> ReadDataResponse {
        ReadDataResponse::default()
    }
    async fn find_created(&self, _: FindCreatedRequest) -> FindCreatedResponse {
        FindCreatedResponse::default()
    }
}

fn thing(name: &str) -> Value {
    Value::object([("name".to_string(), Value::string(name))])
}

/// The object state has for `t_thing.{key}`, named `name`.
fn prior(key: &str, name: &str) -> InstanceState {
    InstanceState {
        addr: format!("t_thing.{key}"),
        provider: "provider[\"corral/t\"]".into(),
        schema_version: 0,
        attributes: serde_json::json!({ "name": name, "id": format!("id-{key}") }),
        sensitive_paths: Vec::new(),
        private: None,
        dependencies: Vec::new(),
        create_before_destroy: false,
        status: InstanceStatus::Ready,
    }
}

fn job<'c>(
    provider: &Arc<Counting>,
    schema: &'c ResourceSchema,
    ty: &'c Type,
    key: &str,
    config: &str,
    prior: Option<&'c InstanceState>,
    targeted: bool,
) -> Job<'c> {
    let addr: AbsResourceInstance = format!("t_thing.{key}").parse().unwrap();
    let provider: Arc<dyn Provider> = provider.clone();
    Job {
        provider,
        type_name: "t_thing",
        ty,
        ignore: &IgnoreChanges::None,
        schema,
        lifecycle: decide::Lifecycle::default(),
        instance: Evaluated {
            addr,
            repetition: RepetitionData::default(),
            config_value: thing(config),
            prior,
            flags: decide::Flags::default(),
            targeted,
        },
    }
}

#[test]
fn a_replacements_create_half_is_planned_in_a_second_batch_call_of_its_chunk() {
    let provider = Counting::new();
    let schema = provider.schema.resources["t_thing"].clone();
    let ty = schema.block.ty();
    let (same, renamed, untargeted) = (prior("same", "a"), prior("renamed", "b"), prior("untargeted", "d"));
    let jobs = vec![
        ((), job(&provider, &schema, &ty, "same", "a", Some(&same), true)),
        ((), job(&provider, &schema, &ty, "renamed", "b2", Some(&renamed), true)),
        ((), job(&provider, &schema, &ty, "new", "c", None, true)),
        // Outside `--target`: planned for its values, its replacement is not.
        ((), job(&provider, &schema, &ty, "untargeted", "d2", Some(&untargeted), false)),
    ];
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let plans = runtime.block_on(plan_all(jobs, false, 4));
    // Four jobs make four chunks; the one replacement adds one batch call.
    assert_eq!(provider.batches.load(Ordering::SeqCst), 5);
    assert_eq!(provider.single.load(Ordering::SeqCst), 0);
    let decided: Vec<_> = plans
        .iter()
        .flatten()
        .map(|(_, p)| {
            let change = p.change.as_ref().unwrap();
            (p.addr.to_string(), change.action, change.reason, change.after.as_ref().unwrap().get_attr("id").cloned())
        })
        .collect();
    let unknown = Some(Value::Unknown(Type::String));
    let known = |id: &str| Some(Value::string(id));
    assert_eq!(
        decided,
        vec![
            ("t_thing.same".to_string(), Action::NoOp, None, known("id-same")),
            (
                "t_thing.renamed".to_string(),
                Action::DeleteThenCreate,
                Some(ActionReason::ReplaceBecauseCannotUpdate),
                unknown.clone(),
            ),
            ("t_thing.new".to_string(), Action::Create, None, unknown),
            (
                "t_thing.untargeted".to_string(),
                Action::DeleteThenCreate,
                Some(ActionReason::ReplaceBecauseCannotUpdate),
                known("id-untargeted"),
            ),
        ]
    );
}

/// Jobs of every kind (unchanged, replaced, new), enough for several lanes.
fn many_jobs<'c>(
    provider: &Arc<Counting>,
    schema: &'c ResourceSchema,
    ty: &'c Type,
    priors: &'c [InstanceState],
) -> Vec<(usize, Job<'c>)> {
    (0..priors.len())
        .map(|i| {
            let key = format!("k{i}");
            let (config, prior) = match i % 3 {
                0 => ("a".to_string(), Some(&priors[i])),
                1 => (format!("renamed-{i}"), Some(&priors[i])),
                _ => ("new".to_string(), None),
            };
            (i, job(provider, schema, ty, &key, &config, prior, true))
        })
        .collect()
}

#[test]
fn lanes_on_many_threads_plan_what_one_thread_plans_in_the_same_order() {
    let provider = Counting::new();
    let schema = provider.schema.resources["t_thing"].clone();
    let ty = schema.block.ty();
    let priors: Vec<InstanceState> = (0..3000).map(|i| prior(&format!("k{i}"), "a")).collect();
    let flat = |plans: Vec<Vec<(usize, InstancePlan)>>| -> Vec<(usize, String, Option<ResourceChange>)> {
        plans.into_iter().flatten().map(|(tag, plan)| (tag, plan.addr.to_string(), plan.change)).collect()
    };
    let one = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let sequential = flat(one.block_on(plan_all(many_jobs(&provider, &schema, &ty, &priors), true, 4)));
    let many = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    let in_lanes = flat(many.block_on(plan_all(many_jobs(&provider, &schema, &ty, &priors), true, 4)));
    assert_eq!(sequential.len(), 3000);
    assert!(sequential.iter().enumerate().all(|(i, (tag, _, _))| *tag == i), "answers come in job order");
    assert_eq!(sequential, in_lanes);
    // An unchanged object's prior state is its planned state, held once and read as both.
    let (_, _, unchanged) = &sequential[0];
    let unchanged = unchanged.as_ref().unwrap();
    assert_eq!(unchanged.action, Action::NoOp);
    assert!(unchanged.before.is_none());
    assert_eq!(unchanged.before(), unchanged.after.as_ref());
    let (_, _, renamed) = &sequential[1];
    assert_ne!(renamed.as_ref().unwrap().before(), renamed.as_ref().unwrap().after.as_ref());
}

#[test]
fn lanes_split_the_chunks_evenly_and_in_order() {
    assert_eq!(split_into((0..7).collect::<Vec<_>>(), 2), vec![vec![0, 1, 2, 3], vec![4, 5, 6]]);
    assert_eq!(split_into((0..2).collect::<Vec<_>>(), 3), vec![vec![0], vec![1], vec![]]);
    assert_eq!(lanes(0), 1);
    assert_eq!(lanes(2 * CHUNKS_IN_FLIGHT - 1), 1);
}
