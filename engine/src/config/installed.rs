//! The manifest of the modules `corral init` installed (`.corral/modules/modules.json`), in
//! the shape of Terraform's `.terraform/modules/modules.json`: one entry per module call
//! with a remote source, keyed by its static path (`vpc`, `vpc.subnets`). The loader reads it
//! to find a remote module's directory; the installer writes it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The manifest's file name inside the modules directory.
pub const MANIFEST_FILE: &str = "modules.json";

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ModulesManifest {
    #[serde(rename = "Modules", default)]
    pub modules: Vec<InstalledModule>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct InstalledModule {
    /// The call's static module path with `.` between names (`vpc.subnets`).
    #[serde(rename = "Key")]
    pub key: String,
    /// The `source` exactly as written.
    #[serde(rename = "Source")]
    pub source: String,
    /// The version installed from a registry.
    #[serde(rename = "Version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The module's directory, relative to the configuration directory.
    #[serde(rename = "Dir")]
    pub dir: String,
}

impl ModulesManifest {
    /// Reads `modules_dir/modules.json`; a missing file is an empty manifest.
    pub fn read(modules_dir: &Path) -> Result<ModulesManifest, String> {
        let path = modules_dir.join(MANIFEST_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|e| format!("`{}` is not readable: {e}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ModulesManifest::default()),
            Err(e) => Err(format!("cannot read `{}`: {e}", path.display())),
        }
    }

    pub fn get(&self, key: &str) -> Option<&InstalledModule> {
        self.modules.iter().find(|m| m.key == key)
    }

    /// Adds or replaces the entry for `module.key`, keeping the entries sorted by key.
    pub fn insert(&mut self, module: InstalledModule) {
        self.modules.retain(|m| m.key != module.key);
        self.modules.push(module);
        self.modules.sort_by(|a, b| a.key.cmp(&b.key));
    }
}

/// Where `corral init` installs modules for the configuration in `root`.
pub fn default_modules_dir(root: &Path) -> PathBuf {
    root.join(".corral").join("modules")
}
