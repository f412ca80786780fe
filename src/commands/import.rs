//! `corral import ADDR ID`, as Terraform's: adopts one existing object into state at an
//! address whose `resource` block is in the configuration, under the workspace lock. It is a
//! plan limited to that resource with one import added (so the provider is configured and
//! the object imported and read exactly as an `import` block would), of which only the
//! imported object is written to state; nothing remote changes.

use corral_engine::addr::{AbsResourceInstance, Target};
use corral_engine::config::Import;
use corral_engine::diag::Diagnostic;
use corral_engine::plan;
use corral_engine::state::StateChange;

use crate::args::{ImportArgs, PlanFlags};
use crate::context::Context;
use crate::ui::Reported;

pub(crate) async fn run(ctx: &Context, args: &ImportArgs) -> anyhow::Result<i32> {
    let mut loaded = ctx.load_for_providers()?;
    let addr: AbsResourceInstance =
        args.address.parse().map_err(|e| anyhow::anyhow!("invalid resource address `{}`: {e}", args.address))?;
    let resource = addr.config_resource();
    let Some(span) =
        loaded.config.module(&resource.module).and_then(|m| m.resources.get(&resource.resource)).map(|r| r.decl_span)
    else {
        let module =
            if resource.module.is_root() { "the root module".to_string() } else { resource.module.to_string() };
        ctx.report(
            &Diagnostic::error("Import to non-existent resource address")
                .with_detail(format!(
                    "The resource address {} does not exist in the configuration. Before importing this resource, please create its configuration in {module}. For example:\n\nresource \"{}\" \"{}\" {{\n  # (resource arguments)\n}}",
                    resource, resource.resource.type_name, resource.resource.name
                ))
                .into(),
            &loaded.config.sources,
        );
        return Err(Reported.into());
    };
    let store = ctx.store()?;
    let workspace = ctx.workspace();
    crate::recovery::refuse_if_pending(ctx, &workspace)?;
    let lock = ctx.lock(store.as_ref(), &workspace, "import", args.lock.lock_timeout).await?;
    let result = async {
        let state = store.read(&workspace).await.map_err(|e| anyhow::anyhow!(e))?;
        if state.instances.contains_key(&addr) {
            ctx.report(
                &Diagnostic::error("Resource already managed by Corral")
                    .with_detail(format!(
                        "Corral is already managing a remote object for {addr}. To import to this address you must first remove the existing object from the state."
                    ))
                    .into(),
                &loaded.config.sources,
            );
            return Err(Reported.into());
        }
        loaded.config.root.imports.push(Import::by_id(addr.clone(), &args.id, span));
        let flags = PlanFlags {
            vars: args.vars.clone(),
            targets: vec![Target::Instance(addr.clone()).to_string()],
            excludes: Vec::new(),
            replace: Vec::new(),
            refresh: true,
            destroy: false,
            refresh_only: false,
            // Import commits the imported object only: nothing the plan would change is done.
            skip_authz_check: true,
            parallelism: 10,
            lock: args.lock.clone(),
            input: false,
            compact_warnings: false,
        };
        println!("{addr}: Importing from ID {}...", serde_json::to_string(&args.id).unwrap_or_default());
        let plan = super::plan::make_plan_quietly(ctx, &loaded, &store, &workspace, &flags).await?;
        let imported = plan::imported_instances(&plan, &ctx.registry);
        if imported.is_empty() {
            anyhow::bail!("nothing was imported to {addr}");
        }
        let changes = imported.into_iter().map(StateChange::PutInstance).collect();
        store.commit(&workspace, plan.basis.state_serial, changes).await.map_err(|e| anyhow::anyhow!(e))?;
        Ok(())
    }
    .await;
    let _ = store.unlock(&workspace, &lock.id).await;
    result?;
    println!(
        "{addr}: Import prepared!\n\nImport successful!\n\nThe resources that were imported are shown above. These resources are now in\nyour Corral state and will henceforth be managed by Corral."
    );
    Ok(0)
}
