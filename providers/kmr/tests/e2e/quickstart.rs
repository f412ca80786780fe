//! The quickstart example, applied as it is.

use std::path::Path;

use crate::{Env, changes};

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_name() == ".corral" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn the_quickstart_applies_and_a_second_plan_is_empty() {
    let env = Env::new(3600.0);
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart"), env.path());
    env.apply().unwrap();
    assert_eq!(changes(&env.plan().unwrap()), Vec::<String>::new());
    let cluster = env.state("kmr_cluster.warehouse").unwrap();
    assert_eq!(cluster["status"], "running");
    assert!(cluster["public_ip"].is_string());
    // The SSH rules sit on the VPC's KSCKMR group, which the service made.
    let groups = env.objects("security_group");
    let ksckmr = groups.iter().find(|g| g.attributes["SecurityGroupName"] == "KSCKMR").unwrap();
    assert_eq!(ksckmr.id, cluster["security_group_id"].as_str().unwrap());
    let ssh: Vec<_> = env
        .objects("security_group_entry")
        .into_iter()
        .filter(|e| e.attributes["SecurityGroupId"] == ksckmr.id.as_str() && e.attributes["PortRangeFrom"] == 22)
        .collect();
    assert_eq!(ssh.len(), 2, "{ssh:#?}");
    assert_eq!(env.objects("execution_plan").len(), 1);
}
