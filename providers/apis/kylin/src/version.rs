//! Kylin's version lines and the property names each reads. Names changed in 2.0 (the
//! dotted legacy names became `kylin.<area>.<name-with-dashes>`, see Kylin's
//! `kylin-backward-compatibility.properties`), and 4.0 dropped HBase (Parquet cube storage,
//! a JDBC metastore), which removes the `kylin.storage.hbase.*` keys.

/// A line of Kylin releases that share property names and abilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Line {
    /// 1.x: legacy names; one job engine only.
    Legacy1,
    /// 2.x: new names; DistributedScheduler (2) with a ZooKeeper job lock.
    V2,
    /// 3.x: as 2.x, plus CuratorScheduler (100) with service self-discovery.
    V3,
    /// 4.x: Parquet storage and a JDBC metastore; no HBase keys.
    V4,
}

impl Line {
    /// The line of a version such as `3.1.3` or `4.0.0-beta`; `None` for anything else.
    pub fn of(version: &str) -> Option<Line> {
        let mut parts = version.trim().split(['.', '-']);
        let major: u32 = parts.next()?.parse().ok()?;
        let minor = parts.next()?;
        if minor.parse::<u32>().is_err() {
            return None;
        }
        match major {
            1 => Some(Line::Legacy1),
            2 => Some(Line::V2),
            3 => Some(Line::V3),
            4 => Some(Line::V4),
            _ => None,
        }
    }

    /// The property names of this line.
    pub fn keys(self) -> Keys {
        match self {
            Line::Legacy1 => LEGACY,
            Line::V2 | Line::V3 => CURRENT,
            Line::V4 => V4,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Line::Legacy1 => "1.x",
            Line::V2 => "2.x",
            Line::V3 => "3.x",
            Line::V4 => "4.x",
        }
    }

    /// Whether several job engines can run under a distributed lock (DistributedScheduler).
    pub fn has_distributed_scheduler(self) -> bool {
        self >= Line::V2
    }

    /// Whether the Curator scheduler with service self-discovery exists (3.0+).
    pub fn has_curator_scheduler(self) -> bool {
        self >= Line::V3
    }

    /// Whether cubes live in HBase (so read/write separation through `cluster-fs` applies).
    pub fn has_hbase(self) -> bool {
        self < Line::V4
    }
}

/// The property names of one version line; `None` where the line has no such property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keys {
    pub metadata_url: &'static str,
    pub server_mode: &'static str,
    pub cluster_servers: &'static str,
    pub host_address: Option<&'static str>,
    pub scheduler: Option<&'static str>,
    pub job_lock: Option<&'static str>,
    pub self_discovery: Option<&'static str>,
    pub zookeeper: Option<&'static str>,
    pub hdfs_working_dir: &'static str,
    pub hbase_cluster_fs: Option<&'static str>,
    pub hbase_cluster_hdfs_config_file: Option<&'static str>,
    /// The job lock class the line ships.
    pub job_lock_class: Option<&'static str>,
}

const LEGACY: Keys = Keys {
    metadata_url: "kylin.metadata.url",
    server_mode: "kylin.server.mode",
    cluster_servers: "kylin.rest.servers",
    host_address: None,
    scheduler: None,
    job_lock: None,
    self_discovery: None,
    zookeeper: None,
    hdfs_working_dir: "kylin.hdfs.working.dir",
    hbase_cluster_fs: Some("kylin.hbase.cluster.fs"),
    hbase_cluster_hdfs_config_file: Some("kylin.hbase.cluster.hdfs.config.file"),
    job_lock_class: None,
};

const CURRENT: Keys = Keys {
    metadata_url: "kylin.metadata.url",
    server_mode: "kylin.server.mode",
    cluster_servers: "kylin.server.cluster-servers",
    host_address: Some("kylin.server.host-address"),
    scheduler: Some("kylin.job.scheduler.default"),
    job_lock: Some("kylin.job.lock"),
    self_discovery: Some("kylin.server.self-discovery-enabled"),
    zookeeper: Some("kylin.env.zookeeper-connect-string"),
    hdfs_working_dir: "kylin.env.hdfs-working-dir",
    hbase_cluster_fs: Some("kylin.storage.hbase.cluster-fs"),
    hbase_cluster_hdfs_config_file: Some("kylin.storage.hbase.cluster-hdfs-config-file"),
    job_lock_class: Some("org.apache.kylin.storage.hbase.util.ZookeeperJobLock"),
};

const V4: Keys = Keys {
    hbase_cluster_fs: None,
    hbase_cluster_hdfs_config_file: None,
    job_lock_class: Some("org.apache.kylin.job.lock.zookeeper.ZookeeperJobLock"),
    ..CURRENT
};

/// Scheduler ids of `kylin.job.scheduler.default`.
pub const SCHEDULER_DEFAULT: u32 = 0;
pub const SCHEDULER_DISTRIBUTED: u32 = 2;
pub const SCHEDULER_CURATOR: u32 = 100;

/// Properties renamed in 2.0 (legacy name, current name), beyond the ones Corral owns: a
/// legacy name on 2.x+ or a current name on 1.x is silently ignored by Kylin, so plan refuses it.
pub const RENAMED: &[(&str, &str)] = &[
    ("kylin.rest.servers", "kylin.server.cluster-servers"),
    ("kylin.enable.scheduler", "kylin.job.scheduler.default"),
    ("kylin.job.controller.lock", "kylin.job.lock"),
    ("kylin.hdfs.working.dir", "kylin.env.hdfs-working-dir"),
    ("kylin.hbase.cluster.fs", "kylin.storage.hbase.cluster-fs"),
    ("kylin.hbase.cluster.hdfs.config.file", "kylin.storage.hbase.cluster-hdfs-config-file"),
    ("kylin.rest.timezone", "kylin.web.timezone"),
    ("kylin.job.concurrent.max.limit", "kylin.job.max-concurrent-jobs"),
    ("kylin.job.yarn.app.rest.check.interval.seconds", "kylin.engine.mr.yarn-check-interval-seconds"),
    ("kylin.query.scan.threshold", "kylin.query.scan-threshold"),
];

/// Every property Corral writes itself, in any version's name: `extra_properties` may not
/// set them.
pub fn owned_keys() -> Vec<&'static str> {
    let mut keys = Vec::new();
    for k in [LEGACY, CURRENT, V4] {
        keys.extend([k.metadata_url, k.server_mode, k.cluster_servers, k.hdfs_working_dir]);
        keys.extend(
            [
                k.host_address,
                k.scheduler,
                k.job_lock,
                k.self_discovery,
                k.zookeeper,
                k.hbase_cluster_fs,
                k.hbase_cluster_hdfs_config_file,
            ]
            .into_iter()
            .flatten(),
        );
    }
    keys.extend(["kylin.enable.scheduler", "kylin.job.controller.lock", "kylin.server.cluster-name"]);
    keys.sort_unstable();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_versions() {
        assert_eq!(Line::of("1.6.0"), Some(Line::Legacy1));
        assert_eq!(Line::of("2.6.6"), Some(Line::V2));
        assert_eq!(Line::of("3.1.3"), Some(Line::V3));
        assert_eq!(Line::of("4.0.0-beta"), Some(Line::V4));
        assert_eq!(Line::of("5.0.0"), None);
        assert_eq!(Line::of("3"), None);
        assert_eq!(Line::of("latest"), None);
    }

    #[test]
    fn names_differ_by_line() {
        assert_eq!(Line::Legacy1.keys().cluster_servers, "kylin.rest.servers");
        assert_eq!(Line::V3.keys().cluster_servers, "kylin.server.cluster-servers");
        assert_eq!(Line::Legacy1.keys().hbase_cluster_fs, Some("kylin.hbase.cluster.fs"));
        assert_eq!(Line::V2.keys().hbase_cluster_fs, Some("kylin.storage.hbase.cluster-fs"));
        assert_eq!(Line::V4.keys().hbase_cluster_fs, None);
        assert_ne!(Line::V3.keys().job_lock_class, Line::V4.keys().job_lock_class);
        assert!(owned_keys().contains(&"kylin.rest.servers"));
        assert!(owned_keys().contains(&"kylin.job.lock"));
    }
}
