//! What the user typed: clap definitions only, no I/O. `settings.rs`-style resolution
//! happens in `context.rs`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "corral", version, about = "Declarative reconciler for data-platform infrastructure")]
pub(crate) struct Cli {
    /// Run as if started in this directory (the configuration and `.corral/` live there).
    #[arg(long = "chdir", short = 'C', global = true, value_name = "DIR")]
    pub chdir: Option<PathBuf>,
    /// Disable colour in output.
    #[arg(long = "no-color", global = true)]
    pub no_color: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Prepare the directory: check the configuration, set up the backend, start every
    /// provider it names.
    Init(InitArgs),
    /// Check the configuration without touching state or any API.
    Validate(ValidateArgs),
    /// Show what would change.
    Plan(PlanArgs),
    /// Make the changes (from a fresh plan, or a saved plan file).
    Apply(ApplyArgs),
    /// Destroy everything this workspace manages (`apply --destroy`).
    Destroy(ApplyArgs),
    /// Bring the state up to date with the remote objects, changing none of them
    /// (Terraform's `refresh`: `apply --refresh-only --auto-approve`).
    Refresh(RefreshArgs),
    /// Adopt an existing remote object into state at ADDR (its `resource` block must be in
    /// the configuration); nothing remote changes.
    Import(ImportArgs),
    /// Mark an instance tainted: the next plan replaces it (prefer `plan --replace=ADDR`).
    Taint(TaintArgs),
    /// Clear an instance's tainted mark: the next plan keeps it.
    Untaint(TaintArgs),
    /// Print the dependency graph in DOT.
    Graph(GraphArgs),
    /// Show the state (or a saved plan).
    Show(ShowArgs),
    /// Print root module outputs.
    Output(OutputArgs),
    /// Inspect and edit state.
    #[command(subcommand)]
    State(StateCommand),
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Remove a workspace lock left behind by another process.
    ForceUnlock(ForceUnlockArgs),
    /// Inspect workspace locks.
    #[command(subcommand)]
    Lock(LockCommand),
    /// Rewrite configuration files in the canonical style.
    Fmt(FmtArgs),
    /// Evaluate expressions against the configuration and state.
    Console(ConsoleArgs),
    /// Run, inspect or wipe the local sandbox cloud (`.corral/sandbox/`).
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Show the providers the configuration and the state require (Terraform's `providers`),
    /// or inspect the available ones.
    Providers(ProvidersArgs),
    /// Keep every unit of a git branch applied: plan on each new commit and interval, apply
    /// or hold for approval, report or correct drift.
    Reconcile(ReconcileArgs),
    /// Promote one environment's configuration into the next (`envs/dev` → `envs/staging`):
    /// show the module and file changes and the plan, check the target's gates, apply when
    /// approved, record the revision; `promote status` lists what each environment runs.
    Promote(PromoteArgs),
    /// Print a shell completion script (`source <(corral completion bash)`).
    Completion(CompletionArgs),
    /// Print Corral's version and platform.
    Version(VersionArgs),
    /// Serve a provider compiled into corral as a plugin (started by corral itself).
    #[command(name = "__provider", hide = true)]
    ServeProvider(ServeProviderArgs),
}

#[derive(Debug, Args)]
pub(crate) struct FmtArgs {
    /// Files or directories to format (default: the current directory); `-` reads standard
    /// input and writes the result to standard output.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Only check: exit 3 when some file is not formatted, and write nothing.
    #[arg(long)]
    pub check: bool,
    /// Print the changes as a unified diff.
    #[arg(long)]
    pub diff: bool,
    /// Also format the files of subdirectories.
    #[arg(long, short = 'r')]
    pub recursive: bool,
    /// List the files whose formatting changed (default true).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub list: bool,
    /// Write the result back to the files (default true; never with `--check`).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub write: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ConsoleArgs {
    /// Configuration directory (default: the current one).
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub vars: VarArgs,
    /// Print each result as `{"value": ...}` or `{"error": "..."}`, one per line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SandboxCommand {
    /// Serve the sandbox over HTTP until interrupted, for several runs or tools to share.
    Serve(SandboxServeArgs),
    /// Print every object the sandbox holds (service, type, id, state, attributes).
    Inspect(SandboxInspectArgs),
    /// Wipe every object; the default account is made again.
    Reset(SandboxDirArgs),
    /// Show the sandbox clock, object counts, accounts and quotas.
    Status(SandboxInspectArgs),
}

#[derive(Debug, Args, Clone, Default)]
pub(crate) struct SandboxDirArgs {
    /// The sandbox directory (default `.corral/sandbox`).
    #[arg(long = "dir", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub(crate) struct SandboxServeArgs {
    /// Address to listen on.
    #[arg(long = "addr", default_value = "127.0.0.1:7070")]
    pub addr: std::net::SocketAddr,
    /// The default account's access key on this server, instead of the well-known one
    /// (needed to listen on a non-loopback address).
    #[arg(long = "access-key", value_name = "KEY", env = "CORRAL_SANDBOX_ACCESS_KEY", requires = "secret_key")]
    pub access_key: Option<String>,
    /// The secret key going with `--access-key` (better from the environment than argv).
    #[arg(
        long = "secret-key",
        value_name = "SECRET",
        env = "CORRAL_SANDBOX_SECRET_KEY",
        hide_env_values = true,
        requires = "access_key"
    )]
    pub secret_key: Option<String>,
    /// Listen on a non-loopback address with the well-known keys anyway: anyone who can
    /// reach it can use the sandbox.
    #[arg(long = "insecure-public")]
    pub insecure_public: bool,
    #[command(flatten)]
    pub dir: SandboxDirArgs,
}

#[derive(Debug, Args, Clone)]
pub(crate) struct SandboxInspectArgs {
    /// Print JSON.
    #[arg(long = "json")]
    pub json: bool,
    #[command(flatten)]
    pub dir: SandboxDirArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ProvidersArgs {
    /// Without one: the tree of provider requirements, by module, and the providers of the
    /// objects in state.
    #[command(subcommand)]
    pub command: Option<ProvidersCommand>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ProvidersCommand {
    /// Print the schema of every available provider.
    Schema(ProvidersSchemaArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ProvidersSchemaArgs {
    /// Print the schemas as JSON (the form is `{"format_version", "provider_schemas"}`).
    #[arg(long, required_unless_present = "json_schema")]
    pub json: bool,
    /// Write one JSON Schema (draft 2020-12) file per resource type and data source.
    #[arg(long = "json-schema", requires = "out", conflicts_with = "json")]
    pub json_schema: bool,
    /// Directory for `--json-schema` (made if missing; its files are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct ServeProviderArgs {
    pub name: String,
}

#[derive(Debug, Args, Clone, Default)]
pub(crate) struct VarArgs {
    /// Set a root variable: `--var name=value` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read root variables from a `.tfvars` or `.tfvars.json` file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub(crate) struct LockArgs {
    /// How long to wait for the workspace lock (e.g. `30s`, `2m`).
    #[arg(long = "lock-timeout", value_parser = parse_duration, default_value = "0s")]
    pub lock_timeout: Duration,
    /// Accepted for Terraform's `-lock=true`; Corral always takes the workspace lock, and
    /// refuses `--lock=false` rather than let two runs write the state at once.
    #[arg(long = "lock", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true, value_parser = lock_always)]
    pub lock: bool,
}

fn lock_always(text: &str) -> Result<bool, String> {
    match text {
        "true" => Ok(true),
        "false" => Err("Corral always locks the workspace state; `--lock=false` is not supported".to_string()),
        other => Err(format!("`{other}` is not `true`")),
    }
}

#[derive(Debug, Args, Clone)]
pub(crate) struct PlanFlags {
    #[command(flatten)]
    pub vars: VarArgs,
    /// Limit the plan to these resources and what they depend on (repeatable).
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
    /// Leave these resources, and everything that depends on them, as they are (OpenTofu's
    /// `-exclude`; repeatable).
    #[arg(long = "exclude", value_name = "ADDR")]
    pub excludes: Vec<String>,
    /// Force replacement of this instance (repeatable).
    #[arg(long = "replace", value_name = "ADDR")]
    pub replace: Vec<String>,
    /// Read the remote objects before planning (default true).
    #[arg(long = "refresh", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub refresh: bool,
    /// Plan to destroy everything.
    #[arg(long)]
    pub destroy: bool,
    /// Only bring the state up to date with the remote objects: show what changed outside
    /// Corral; applying such a plan records it and changes nothing (Terraform's
    /// `-refresh-only`).
    #[arg(long = "refresh-only", conflicts_with_all = ["destroy", "replace"])]
    pub refresh_only: bool,
    /// Do not check, before anything is applied, that the providers' identities may call the
    /// API actions the plan needs (for identities that may not read their own permissions;
    /// the cloud still refuses what they may not do).
    #[arg(long = "skip-authz-check")]
    pub skip_authz_check: bool,
    /// Operations in flight at once.
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Ask for input when needed (default true). With `--input=false` Corral never prompts:
    /// where it would ask (the apply confirmation) it fails instead.
    #[arg(long = "input", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub input: bool,
    /// Accepted for Terraform's `-compact-warnings`; Corral's warnings are already one
    /// diagnostic each.
    #[arg(long = "compact-warnings")]
    pub compact_warnings: bool,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Configuration directory (default: the current one).
    pub dir: Option<PathBuf>,
    /// A backend setting over the `backend` block: `KEY=VALUE`, or a file of `key = value`
    /// lines (read relative to `-C`). May be repeated; later ones win.
    #[arg(long = "backend-config", value_name = "KEY=VALUE|FILE")]
    pub backend_config: Vec<String>,
    /// Set up the backend (default true); `--backend=false` checks only the configuration and
    /// providers.
    #[arg(long = "backend", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub backend: bool,
    /// Install the newest module versions the `version` constraints allow, and fetch git and
    /// HTTP modules again (providers are looked up afresh on every run anyway).
    #[arg(long)]
    pub upgrade: bool,
    /// Use the configured backend as it is, without copying the state of the backend used
    /// so far (Terraform's `-reconfigure`).
    #[arg(long, conflicts_with = "migrate_state")]
    pub reconfigure: bool,
    /// Copy every workspace's state (lineage, serial, unfinished operations and key) from the
    /// backend used so far to the configured one, then use it.
    #[arg(long = "migrate-state")]
    pub migrate_state: bool,
    /// With `-migrate-state`: replace a different state the new backend already holds.
    #[arg(long = "force-copy")]
    pub force_copy: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Accepted for Terraform's `-input=false`: `init` never asks anything.
    #[arg(long = "input", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub input: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Configuration directory (default: the current one).
    pub dir: Option<PathBuf>,
    /// Print diagnostics as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// Configuration directory (default: the current one).
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub flags: PlanFlags,
    /// Save the plan to this file for `corral apply FILE`.
    #[arg(long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long = "detailed-exitcode")]
    pub detailed_exitcode: bool,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write `resource` blocks for `import` blocks whose resource has no configuration to
    /// this new file (Terraform's `-generate-config-out`).
    #[arg(long = "generate-config-out", value_name = "FILE")]
    pub generate_config_out: Option<PathBuf>,
    /// Print the plan as markdown for a pull-request comment: the summary, and the changes
    /// collapsed (sensitive values hidden).
    #[arg(long, conflicts_with = "json")]
    pub markdown: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The instance to import to: `kmr_cluster.main`, `module.a.kmr_vpc.v["x"]`.
    pub address: String,
    /// The provider's id of the existing object (each resource type documents its form).
    pub id: String,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Accepted for Terraform's `-input=false`; import never prompts.
    #[arg(long = "input", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub input: bool,
}

#[derive(Debug, Args)]
pub(crate) struct TaintArgs {
    /// The resource instance: `kmr_cluster.main`, `module.a.kmr_vpc.v["x"]`.
    pub address: String,
    /// Succeed, saying so, when the instance is not in state.
    #[arg(long = "allow-missing")]
    pub allow_missing: bool,
    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    /// A saved plan file, or a configuration directory (default: the current one).
    pub target: Option<PathBuf>,
    #[command(flatten)]
    pub flags: PlanFlags,
    /// Do not ask for confirmation.
    #[arg(long = "auto-approve")]
    pub auto_approve: bool,
    /// Exit 0 when everything the configuration asks for is applied, 2 when deferred work
    /// remains (a saved plan applies one round; the round cap), 1 on error.
    #[arg(long = "detailed-exitcode")]
    pub detailed_exitcode: bool,
    /// Without a plan file, plan and apply again while the plan defers work (a `count` or
    /// `for_each` known only after apply), at most this many rounds.
    #[arg(long = "max-rounds", value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_rounds: u32,
    /// Set by `corral refresh`, which shows no apply summary.
    #[arg(skip)]
    pub refresh_command: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RefreshArgs {
    /// Configuration directory (default: the current one).
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub vars: VarArgs,
    /// Refresh only these resources and what they depend on (repeatable).
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
    /// Leave these resources, and everything that depends on them, unread (repeatable).
    #[arg(long = "exclude", value_name = "ADDR")]
    pub excludes: Vec<String>,
    /// Reads in flight at once.
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Ask for input when needed (default true; a refresh asks for nothing but unset
    /// variables).
    #[arg(long = "input", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub input: bool,
    /// Accepted for Terraform's `-compact-warnings`.
    #[arg(long = "compact-warnings")]
    pub compact_warnings: bool,
}

impl RefreshArgs {
    /// The `apply` this refresh is.
    pub(crate) fn to_apply(&self) -> ApplyArgs {
        ApplyArgs {
            target: self.dir.clone(),
            flags: PlanFlags {
                vars: self.vars.clone(),
                targets: self.targets.clone(),
                excludes: self.excludes.clone(),
                replace: Vec::new(),
                refresh: true,
                destroy: false,
                refresh_only: true,
                skip_authz_check: false,
                parallelism: self.parallelism,
                lock: self.lock.clone(),
                input: self.input,
                compact_warnings: self.compact_warnings,
            },
            auto_approve: true,
            detailed_exitcode: false,
            max_rounds: 1,
            refresh_command: true,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct VersionArgs {
    /// Print `{"corral_version", "platform"}` as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct GraphArgs {
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// A saved plan file; without it, the current state.
    pub file: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct OutputArgs {
    /// One output (default: all of them).
    pub name: Option<String>,
    /// Print as JSON: every output's `sensitive`, `type` and `value`, or one output's value.
    #[arg(long)]
    pub json: bool,
    /// Print a string output without quotes.
    #[arg(long)]
    pub raw: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StateCommand {
    /// List the instances in state.
    List {
        /// Only addresses matching these (a module, resource or instance).
        filters: Vec<String>,
    },
    /// Show one instance's attributes.
    Show { address: String },
    /// Rename an instance (or all instances of a resource or module) in state.
    Mv {
        source: String,
        destination: String,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Forget instances without destroying them.
    Rm {
        addresses: Vec<String>,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Print the whole state as JSON (the form `state push` reads).
    Pull,
    /// Replace the state with a JSON state file (`-` reads standard input).
    Push {
        /// The state file, as `state pull` prints it or a failed apply saved it.
        path: PathBuf,
        /// Push even a state of another lineage, or one older (lower serial) than the stored one.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        lock: LockArgs,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum WorkspaceCommand {
    /// List the workspaces, the selected one marked `*`.
    List,
    /// Print the selected workspace's name.
    Show,
    /// Make a workspace with an empty state, and select it.
    New { name: String },
    /// Select a workspace for the commands that follow.
    Select { name: String },
    /// Delete a workspace whose state holds no objects and no unfinished operations (never
    /// the selected one, nor `default`).
    Delete { name: String },
}

#[derive(Debug, Args)]
pub(crate) struct ForceUnlockArgs {
    /// The lock ID, as a lock error or `corral lock list` shows it.
    pub lock_id: String,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum LockCommand {
    /// Every workspace's lock: holder (user, host, pid, operation, since) and lock ID.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct ReconcileArgs {
    #[command(subcommand)]
    pub command: Option<ReconcileCommand>,
    /// The git repository to follow (a URL, or a local path).
    #[arg(long, value_name = "URL_OR_PATH")]
    pub repo: Option<String>,
    /// The branch whose head every unit is kept equal to.
    #[arg(long, default_value = "main")]
    pub branch: String,
    /// Time between passes (each plans every unit, new commit or not).
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    pub interval: Duration,
    /// Do one pass and exit: 0 when every unit succeeded, 1 otherwise.
    #[arg(long)]
    pub once: bool,
    /// The checkout, saved plans, `status.json` and `history.jsonl` (default
    /// `.corral/reconcile`).
    #[arg(long = "work-dir", value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
    /// Serve `/healthz`, `/status` (JSON) and `/metrics` (Prometheus) on this address
    /// (e.g. `127.0.0.1:9090`; port 0 picks one, printed at start).
    #[arg(long, value_name = "ADDR", conflicts_with = "once")]
    pub listen: Option<std::net::SocketAddr>,
    /// Share the units with other replicas: a unit runs only under a leased lock in this
    /// PostgreSQL database (schema `corral_reconcile`; lease `CORRAL_PG_LEASE_SECS`).
    #[arg(long = "leases-pg", value_name = "CONN_STR", env = "CORRAL_RECONCILE_PG", hide_env_values = true)]
    pub leases_pg: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ReconcileCommand {
    /// Apply the plan a `manual` unit waits with.
    Approve {
        /// The plan's ID, as the pass printed it (and `status.json` holds).
        plan_id: String,
        /// The reconcile work directory (default `.corral/reconcile`).
        #[arg(long = "work-dir", value_name = "DIR")]
        work_dir: Option<PathBuf>,
    },
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len()));
    let value: f64 = number.parse().map_err(|_| format!("`{text}` is not a duration like `30s` or `2m`"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown duration unit `{other}` (use ms, s, m or h)")),
    };
    Ok(Duration::from_secs_f64(seconds))
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct PromoteArgs {
    #[command(subcommand)]
    pub command: Option<PromoteCommand>,
    /// The environment promoted from (a directory of `envs/`).
    #[arg(required = true)]
    pub source: Option<String>,
    /// The environment promoted into.
    #[arg(required = true)]
    pub target: Option<String>,
    /// Apply without asking (the gates still decide).
    #[arg(long = "auto-approve")]
    pub auto_approve: bool,
    /// Show the changes, the plan and the gates' verdict, then put the target's files back:
    /// nothing is applied or recorded.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Ask for input when needed (default true); with `--input=false` a promotion that would
    /// ask fails instead.
    #[arg(long = "input", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub input: bool,
    /// The directory holding one directory per environment (default `envs`).
    #[arg(long = "envs-dir", value_name = "DIR")]
    pub envs_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PromoteCommand {
    /// List the environments: the revision each runs, where it is promoted from, and whether
    /// it is behind.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// The directory holding one directory per environment (default `envs`).
        #[arg(long = "envs-dir", value_name = "DIR")]
        envs_dir: Option<PathBuf>,
    },
}
